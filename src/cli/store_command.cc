#include "cli/store_command.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <iostream>

#include "otlp/json_writer.h"
#include "store/engine/store.h"
#include "store/engine/store_inspector.h"
#include "telemetry/logging.h"

namespace polytrace {
namespace {

std::string FormatTime(uint64_t unix_nanos) {
  if (unix_nanos == 0) return "-";
  auto tp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(unix_nanos)));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(tp)));
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.2f} GiB", double(bytes) / double(1ull << 30));
  if (bytes >= (1ull << 20)) return fmt::format("{:.2f} MiB", double(bytes) / double(1ull << 20));
  if (bytes >= 1024) return fmt::format("{:.1f} KiB", double(bytes) / 1024.0);
  return fmt::format("{} B", bytes);
}

void WriteStrings(JsonWriter& w, const char* key, const std::vector<std::string>& list) {
  w.Key(key);
  w.BeginArray();
  for (const std::string& s : list) w.String(s);
  w.EndArray();
}

}  // namespace

int RunStoreStats(const std::string& directory, bool json) {
  Result<store::DirectoryStats> stats = store::InspectStoreDirectory(directory);
  if (!stats.ok()) {
    std::cerr << "polytrace store stats: " << stats.status().message() << "\n";
    return 1;
  }
  const store::DirectoryStats& s = *stats;
  uint64_t spans = s.segment_spans + s.wal_spans;
  double bytes_per_span = s.segment_spans ? double(s.segment_bytes) / double(s.segment_spans) : 0;
  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("spans");
    w.Uint(spans);
    w.Key("traces");
    w.Uint(s.segment_traces);
    w.Key("segments");
    w.Uint(s.segments);
    w.Key("segmentBytes");
    w.Uint(s.segment_bytes);
    w.Key("bytesPerSpan");
    w.Double(bytes_per_span);
    w.Key("walFiles");
    w.Uint(s.wal_files);
    w.Key("walBytes");
    w.Uint(s.wal_bytes);
    w.Key("walSpans");
    w.Uint(s.wal_spans);
    w.Key("minStartUnixNano");
    w.Uint(s.min_start_nanos);
    w.Key("maxEndUnixNano");
    w.Uint(s.max_end_nanos);
    WriteStrings(w, "problems", s.problems);
    w.Key("columnBytes");
    w.BeginObject();
    for (const auto& [name, bytes] : s.column_bytes) {
      w.Key(name);
      w.Uint(bytes);
    }
    w.EndObject();
    w.Key("columnRawBytes");
    w.BeginObject();
    for (const auto& [name, bytes] : s.column_raw_bytes) {
      w.Key(name);
      w.Uint(bytes);
    }
    w.EndObject();
    w.EndObject();
    std::cout << w.Take() << "\n";
  } else {
    std::cout << fmt::format("store        {}\n", directory)
              << fmt::format("spans        {} ({} in segments, {} in the WAL)\n", spans,
                             s.segment_spans, s.wal_spans)
              << fmt::format("traces       {} (summed per segment)\n", s.segment_traces)
              << fmt::format("segments     {} ({})\n", s.segments, FormatBytes(s.segment_bytes))
              << fmt::format("bytes/span   {:.1f} (segments)\n", bytes_per_span)
              << fmt::format("wal          {} file(s), {}\n", s.wal_files, FormatBytes(s.wal_bytes))
              << fmt::format("time range   {} .. {}\n", FormatTime(s.min_start_nanos),
                             FormatTime(s.max_end_nanos));
    for (size_t i = 0; i < s.column_bytes.size() && s.segment_spans > 0; ++i) {
      const auto& [name, bytes] = s.column_bytes[i];
      const uint64_t raw = s.column_raw_bytes[i].second;
      std::cout << fmt::format(
          "  column {:<14} {:>10}  {:5.1f} bytes/span  ({:>10} decompressed)\n", name,
          FormatBytes(bytes), double(bytes) / double(s.segment_spans), FormatBytes(raw));
    }
    for (const std::string& p : s.problems) std::cout << "problem      " << p << "\n";
  }
  return s.problems.empty() ? 0 : 1;
}

int RunStoreCheck(const std::string& directory, bool json) {
  Result<store::CheckReport> report = store::CheckStoreDirectory(directory);
  if (!report.ok()) {
    std::cerr << "polytrace store check: " << report.status().message() << "\n";
    return 1;
  }
  const store::CheckReport& r = *report;
  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("ok");
    w.Bool(r.damage.empty());
    w.Key("segmentsChecked");
    w.Uint(r.segments_checked);
    w.Key("blocksChecked");
    w.Uint(r.blocks_checked);
    w.Key("walFilesChecked");
    w.Uint(r.wal_files_checked);
    w.Key("walRecordsChecked");
    w.Uint(r.wal_records_checked);
    WriteStrings(w, "damage", r.damage);
    w.EndObject();
    std::cout << w.Take() << "\n";
  } else {
    std::cout << fmt::format("checked {} segment(s) ({} blocks) and {} WAL file(s) ({} records)\n",
                             r.segments_checked, r.blocks_checked, r.wal_files_checked,
                             r.wal_records_checked);
    for (const std::string& d : r.damage) std::cout << "DAMAGE: " << d << "\n";
    std::cout << (r.damage.empty() ? "ok: every checksum matches\n"
                                   : fmt::format("{} damaged file(s)\n", r.damage.size()));
  }
  return r.damage.empty() ? 0 : 1;
}

int RunStoreCompact(const std::string& directory, int zstd_level, bool json) {
  if (zstd_level < 1 || zstd_level > 19) {
    std::cerr << "polytrace store compact: --zstd-level must be 1 to 19\n";
    return 2;
  }
  Result<store::DirectoryStats> before = store::InspectStoreDirectory(directory);
  if (!before.ok()) {
    std::cerr << "polytrace store compact: " << before.status().message() << "\n";
    return 1;
  }
  store::StoreOptions options;
  options.directory = directory;
  options.compaction_zstd_level = zstd_level;
  options.compaction_max_bytes_per_second = 0;               // nothing else runs: no throttle
  options.maintenance_interval = std::chrono::hours(24);     // no background pass meanwhile
  options.retention_max_age = std::chrono::milliseconds(0);  // compaction only, never delete
  auto cpu = [] {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  double cpu0 = cpu();
  {
    Result<std::unique_ptr<store::Store>> store = store::Store::Open(options, MakeLogger("store"));
    if (!store.ok()) {
      std::cerr << "polytrace store compact: " << store.status().message() << "\n";
      return 1;
    }
    if (Status st = (*store)->CompactAllWindows(); !st.ok()) {
      std::cerr << "polytrace store compact: " << st.message() << "\n";
      return 1;
    }
  }
  double seconds = cpu() - cpu0;
  Result<store::DirectoryStats> after = store::InspectStoreDirectory(directory);
  if (!after.ok()) {
    std::cerr << "polytrace store compact: " << after.status().message() << "\n";
    return 1;
  }
  auto per_span = [](const store::DirectoryStats& s) {
    return s.segment_spans ? double(s.segment_bytes) / double(s.segment_spans) : 0.0;
  };
  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("segmentsBefore");
    w.Uint(before->segments);
    w.Key("segmentsAfter");
    w.Uint(after->segments);
    w.Key("bytesBefore");
    w.Uint(before->segment_bytes);
    w.Key("bytesAfter");
    w.Uint(after->segment_bytes);
    w.Key("bytesPerSpanAfter");
    w.Double(per_span(*after));
    w.Key("cpuSeconds");
    w.Double(seconds);
    w.EndObject();
    std::cout << w.str() << "\n";
  } else {
    std::cout << fmt::format(
        "compacted {}: {} segments, {} ({:.1f} B/span) -> {} segments, {} ({:.1f} B/span) in "
        "{:.1f} CPU-s\n",
        directory, before->segments, FormatBytes(before->segment_bytes), per_span(*before),
        after->segments, FormatBytes(after->segment_bytes), per_span(*after), seconds);
  }
  return 0;
}

}  // namespace polytrace

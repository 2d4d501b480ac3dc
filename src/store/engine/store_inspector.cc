#include "store/engine/store_inspector.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "otlp/proto_codec.h"
#include "store/format/file_util.h"
#include "store/segment/segment_reader.h"
#include "store/wal/wal.h"

namespace polytrace::store {
namespace {

Status RequireStoreDirectory(const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory + "/segments", ec) &&
      !std::filesystem::is_directory(directory + "/wal", ec)) {
    return Status::NotFound(fmt::format(
        "{} is not a polytrace store directory (no segments/ or wal/ inside)", directory));
  }
  return Status::Ok();
}

std::vector<std::string> SegmentPaths(const std::string& directory) {
  std::vector<std::string> paths;
  for (const std::string& name : ListDirectory(directory + "/segments")) {
    uint64_t id;
    if (ParseSegmentFileName(name, &id)) paths.push_back(directory + "/segments/" + name);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace

Result<DirectoryStats> InspectStoreDirectory(const std::string& directory) {
  POLYTRACE_RETURN_IF_ERROR(RequireStoreDirectory(directory));
  DirectoryStats stats;
  stats.min_start_nanos = UINT64_MAX;
  for (const std::string& path : SegmentPaths(directory)) {
    Result<std::shared_ptr<SegmentReader>> reader = SegmentReader::Open(path);
    if (!reader.ok()) {
      stats.problems.push_back(reader.status().message());
      continue;
    }
    const SegmentMeta& m = (*reader)->meta();
    ++stats.segments;
    stats.segment_bytes += (*reader)->file_bytes();
    stats.segment_spans += m.spans;
    stats.segment_traces += m.traces;
    if (stats.column_bytes.empty()) {
      for (const char* name : kColumnNames) stats.column_bytes.emplace_back(name, 0);
      // Not columns: one block, and one set of chunks, per segment.
      stats.column_bytes.emplace_back("value_tables", 0);
      stats.column_bytes.emplace_back("attr_index", 0);
      stats.column_raw_bytes = stats.column_bytes;
    }
    for (const RowGroupInfo& rg : (*reader)->footer().row_groups) {
      for (int c = 0; c < kColumnCount; ++c) {
        stats.column_bytes[c].second += rg.columns[c].size;
        stats.column_raw_bytes[c].second += rg.columns[c].raw_size;
      }
    }
    for (const ValueTable& t : (*reader)->footer().value_tables) {
      for (const ValueChunk& c : t.chunks) {
        stats.column_bytes[kColumnCount].second += c.block.size;
        stats.column_raw_bytes[kColumnCount].second += c.block.raw_size;
      }
    }
    stats.column_bytes.back().second += (*reader)->footer().attribute_index.size;
    stats.column_raw_bytes.back().second += (*reader)->footer().attribute_index.raw_size;
    if (m.spans > 0) {
      stats.min_start_nanos = std::min(stats.min_start_nanos, m.min_start);
      stats.max_end_nanos = std::max(stats.max_end_nanos, m.max_end);
    }
  }
  for (uint64_t seq : ListWalFiles(directory + "/wal")) {
    std::string path = directory + "/wal/" + WalFileName(seq);
    Result<WalContents> contents = ReadWalFile(path, /*truncate=*/false);
    if (!contents.ok()) {
      stats.problems.push_back(contents.status().message());
      continue;
    }
    ++stats.wal_files;
    stats.wal_bytes += contents->file_bytes;
    for (const std::string& record : contents->records) {
      Traces traces;
      if (otlp::DecodeTracesProto(record, &traces).ok()) {
        stats.wal_spans += traces.SpanCount();
        for (const ResourceSpans& rs : traces.resource_spans()) {
          for (const ScopeSpans& ss : rs.scope_spans) {
            for (const Span& s : ss.spans) {
              stats.min_start_nanos = std::min(stats.min_start_nanos, s.start_time_unix_nano);
              stats.max_end_nanos = std::max(stats.max_end_nanos, s.end_time_unix_nano);
            }
          }
        }
      }
    }
    if (!contents->damage.empty()) stats.problems.push_back(contents->damage);
  }
  if (stats.min_start_nanos == UINT64_MAX) stats.min_start_nanos = 0;
  return stats;
}

Result<CheckReport> CheckStoreDirectory(const std::string& directory) {
  POLYTRACE_RETURN_IF_ERROR(RequireStoreDirectory(directory));
  CheckReport report;
  for (const std::string& path : SegmentPaths(directory)) {
    ++report.segments_checked;
    Result<std::shared_ptr<SegmentReader>> reader = SegmentReader::Open(path);
    if (!reader.ok()) {
      report.damage.push_back(reader.status().message());
      continue;
    }
    report.blocks_checked += (*reader)->footer().row_groups.size() * kColumnCount;
    if (Status st = (*reader)->Check(); !st.ok()) report.damage.push_back(st.message());
  }
  for (uint64_t seq : ListWalFiles(directory + "/wal")) {
    ++report.wal_files_checked;
    Result<WalContents> contents =
        ReadWalFile(directory + "/wal/" + WalFileName(seq), /*truncate=*/false);
    if (!contents.ok()) {
      report.damage.push_back(contents.status().message());
      continue;
    }
    report.wal_records_checked += contents->records.size();
    if (!contents->damage.empty()) report.damage.push_back(contents->damage);
  }
  return report;
}

}  // namespace polytrace::store

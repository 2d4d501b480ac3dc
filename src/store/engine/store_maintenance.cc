// Background work of Store: compaction (merge segments of one time window so
// a trace's spans end up together) and retention (delete whole segments by
// age and total size). Both run on the maintenance thread only.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <queue>
#include <set>
#include <thread>

#include "store/engine/store.h"
#include "store/format/file_util.h"
#include "store/segment/segment_writer.h"

namespace polytrace::store {
namespace {

// Walks one segment's rows in (trace ID, start) order, a row group at a time.
class SegmentCursor {
 public:
  explicit SegmentCursor(std::shared_ptr<SegmentReader> seg) : seg_(std::move(seg)) {}

  // Loads the next non-empty row group when the current one is used up.
  Status Advance() {
    while (!table_ || row_ >= table_->rows()) {
      if (next_group_ >= seg_->footer().row_groups.size()) {
        table_.reset();
        return Status::Ok();
      }
      Result<SpanTable> table = seg_->ReadRowGroup(next_group_++);
      if (!table.ok()) return table.status();
      table_ = std::make_unique<SpanTable>(std::move(*table));
      row_ = 0;
      ids_.strings.clear();  // string ids are per row group
    }
    return Status::Ok();
  }
  bool done() const { return !table_; }
  const SpanTable& table() const { return *table_; }
  uint32_t row() const { return row_; }
  void Next() { ++row_; }
  // Id translations from this cursor's tables into the output table.
  SpanTable::IdCache& ids() { return ids_; }
  bool Before(const SegmentCursor& other) const {
    const SpanTable& a = *table_;
    const SpanTable& b = *other.table_;
    if (a.trace_id[row_] != b.trace_id[other.row_])
      return a.trace_id[row_] < b.trace_id[other.row_];
    return a.start[row_] < b.start[other.row_];
  }

 private:
  std::shared_ptr<SegmentReader> seg_;
  std::unique_ptr<SpanTable> table_;
  SpanTable::IdCache ids_;
  size_t next_group_ = 0;
  uint32_t row_ = 0;
};

}  // namespace

Status Store::RunMaintenance() {
  Status st = Compact();
  if (!st.ok()) logger_->error("store: compaction failed (inputs kept): {}", st.message());
  EnforceRetention();
  return st;
}

Status Store::Compact(bool close_all_windows) {
  std::vector<std::shared_ptr<SegmentReader>> segments;
  {
    std::shared_lock lock(mu_);
    segments = segments_;
  }
  // Tiered within a window: kFanIn segments of one level merge into one of
  // the next, so each span is rewritten about log(window size) times, not
  // once per new segment. A window nothing will join any more (it ended a
  // segment age ago) is merged whole, so each of its traces ends up in one
  // segment where the size cap allows; that final merge is never redone.
  constexpr size_t kFanIn = 8;
  uint64_t window = std::max<uint64_t>(1, uint64_t(options_.compaction_window.count()) * 1'000'000);
  uint64_t grace = uint64_t(options_.segment_max_duration.count()) * 1'000'000;
  uint64_t now = UnixNanosNow();
  std::map<uint64_t, std::map<uint32_t, std::vector<std::shared_ptr<SegmentReader>>>> windows;
  for (const auto& seg : segments) {
    windows[seg->meta().min_start / window][seg->meta().level].push_back(seg);
  }
  for (auto& [w, levels] : windows) {
    bool closed = close_all_windows || (w + 1) * window + grace < now;
    std::vector<std::shared_ptr<SegmentReader>> inputs;
    for (auto& [level, members] : levels) {
      if (level == kFinalLevel) continue;
      if (closed) {
        inputs.insert(inputs.end(), members.begin(), members.end());
      } else if (members.size() >= kFanIn) {
        inputs = members;
        break;
      }
    }
    inputs = CapBySize(std::move(inputs));
    // A closed window's lone segment is still rewritten once: with the final
    // zstd level, as a final segment.
    if (inputs.size() < (closed ? 1u : 2u)) continue;
    if (Status st = CompactWindow(std::move(inputs), closed); !st.ok()) return st;
  }
  return Status::Ok();
}

Status Store::CompactAllWindows() {
  auto segment_ids = [this] {
    std::set<uint64_t> ids;
    std::shared_lock lock(mu_);
    for (const auto& seg : segments_) ids.insert(seg->meta().id);
    return ids;
  };
  for (;;) {  // a window over the size cap takes several passes
    std::set<uint64_t> before = segment_ids();
    if (Status st = Compact(/*close_all_windows=*/true); !st.ok()) return st;
    if (segment_ids() == before) return Status::Ok();
  }
}

// The smallest segments first, up to the output size cap.
std::vector<std::shared_ptr<SegmentReader>> Store::CapBySize(
    std::vector<std::shared_ptr<SegmentReader>> inputs) const {
  std::sort(inputs.begin(), inputs.end(),
            [](const auto& a, const auto& b) { return a->file_bytes() < b->file_bytes(); });
  uint64_t total = 0;
  size_t keep = 0;
  while (keep < inputs.size() &&
         total + inputs[keep]->file_bytes() <= options_.compaction_max_segment_bytes) {
    total += inputs[keep++]->file_bytes();
  }
  inputs.resize(keep);
  return inputs;
}

Status Store::CompactWindow(std::vector<std::shared_ptr<SegmentReader>> inputs, bool final_merge) {
  // The inputs are read once, in full: what they decompress stays out of
  // the cache searches share.
  SegmentReader::PrivateReads private_reads;
  // A window still filling is merged again later: its tiers use a cheap
  // zstd level; the merge of a closed window is the one that stays.
  constexpr int kOpenWindowZstdLevel = 3;
  int zstd_level = final_merge ? options_.compaction_zstd_level
                               : std::min(options_.compaction_zstd_level, kOpenWindowZstdLevel);
  uint64_t id = next_segment_id_++;
  SegmentMeta meta;
  meta.id = id;
  std::vector<std::unique_ptr<SegmentCursor>> cursors;
  uint64_t input_bytes = 0;
  for (const auto& seg : inputs) {
    meta.level = std::max(meta.level, seg->meta().level + 1);
    meta.max_wal_seq = std::max(meta.max_wal_seq, seg->meta().max_wal_seq);
    meta.written_unix_nanos = std::max(meta.written_unix_nanos, seg->meta().written_unix_nanos);
    meta.replaces.push_back(seg->meta().id);
    input_bytes += seg->file_bytes();
    cursors.push_back(std::make_unique<SegmentCursor>(seg));
    if (Status st = cursors.back()->Advance(); !st.ok()) return st;
  }
  if (final_merge) meta.level = kFinalLevel;

  auto dicts = std::make_shared<TableDicts>();
  Result<std::unique_ptr<SegmentBuilder>> builder =
      SegmentBuilder::Create(SegmentPath(id), dicts,
                             {.row_group_rows = options_.row_group_rows, .zstd_level = zstd_level});
  if (!builder.ok()) return builder.status();
  auto out = std::make_unique<SpanTable>(dicts);
  auto started = std::chrono::steady_clock::now();
  uint64_t rows_written = 0, rows_total = 0;
  for (const auto& seg : inputs) rows_total += seg->meta().spans;
  auto flush = [&]() -> Status {
    std::vector<uint32_t> rows(out->rows());
    for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
    if (Status st = (*builder)->AddRows(*out, rows); !st.ok()) return st;
    rows_written += rows.size();
    out = std::make_unique<SpanTable>(dicts);
    for (auto& c : cursors) c->ids().strings.clear();  // they named the old table's strings
    // Throttle: keep the pace at or under the configured bytes per second.
    if (options_.compaction_max_bytes_per_second > 0 && rows_total > 0) {
      double done_bytes = double(input_bytes) * double(rows_written) / double(rows_total);
      auto due = started + std::chrono::duration<double>(
                               done_bytes / double(options_.compaction_max_bytes_per_second));
      std::unique_lock lock(stop_mu_);
      stop_cv_.wait_until(lock,
                          std::chrono::time_point_cast<std::chrono::steady_clock::duration>(due),
                          [&] { return stopping_; });
      if (stopping_) return Status::Unavailable("store: shutting down");
    }
    return Status::Ok();
  };
  while (true) {
    SegmentCursor* best = nullptr;
    for (auto& c : cursors) {
      if (!c->done() && (best == nullptr || c->Before(*best))) best = c.get();
    }
    if (best == nullptr) break;
    bool trace_boundary =
        out->rows() == 0 || out->trace_id.back() != best->table().trace_id[best->row()];
    if (out->rows() >= options_.row_group_rows && trace_boundary) {
      if (Status st = flush(); !st.ok()) return st;
    }
    out->AppendRowFrom(best->table(), best->row(), &best->ids());
    best->Next();
    if (Status st = best->Advance(); !st.ok()) return st;
  }
  if (out->rows() > 0) {
    if (Status st = flush(); !st.ok()) return st;
  }
  Result<uint64_t> size = (*builder)->Finish(meta);
  if (!size.ok()) return size.status();
  Result<std::shared_ptr<SegmentReader>> reader = SegmentReader::Open(SegmentPath(id));
  if (!reader.ok()) return reader.status();
  (*reader)->WarmValueTables();
  {
    std::unique_lock lock(mu_);
    std::erase_if(segments_, [&](const auto& s) {
      return std::find(meta.replaces.begin(), meta.replaces.end(), s->meta().id) !=
             meta.replaces.end();
    });
    segments_.push_back(*reader);
  }
  // The merged segment's share of the service map, counted here in the
  // background rather than at a query (a seal's small segment is counted at
  // its first asking).
  ForgetGraphShares(meta.replaces);
  KeepGraphShares({*reader});
  for (uint64_t old : meta.replaces) RemoveOrWarn(SegmentPath(old));
  logger_->debug("store: compacted {} segments ({} bytes) into {} ({} bytes, {} spans)",
                 inputs.size(), input_bytes, SegmentFileName(id), *size, rows_written);
  return Status::Ok();
}

namespace {

// True when a trace has spans in both segments (a trace that crossed a
// compaction window). Exact: a Bloom filter hit is confirmed on the other
// segment's trace ID column. A read error counts as shared (keep data).
bool SharesTrace(const SegmentReader& a, const SegmentReader& b) {
  const auto& b_groups = b.footer().row_groups;
  std::map<size_t, std::vector<TraceId>> b_ids;  // row groups of b read so far
  for (size_t g = 0; g < a.footer().row_groups.size(); ++g) {
    Result<std::vector<TraceId>> ids = a.ReadTraceIds(g);
    if (!ids.ok()) return true;
    for (const TraceId& id : *ids) {
      if (!b.MayContain(id)) continue;
      for (size_t h = 0; h < b_groups.size(); ++h) {
        if (id < b_groups[h].first_trace || b_groups[h].last_trace < id) continue;
        auto it = b_ids.find(h);
        if (it == b_ids.end()) {
          Result<std::vector<TraceId>> read = b.ReadTraceIds(h);
          if (!read.ok()) return true;
          it = b_ids.emplace(h, std::move(*read)).first;
        }
        if (std::binary_search(it->second.begin(), it->second.end(), id)) return true;
      }
    }
  }
  return false;
}

}  // namespace

// By size: the oldest written segments go until the store fits, whatever
// they share (the bound is a promise about the disk). By age: a segment
// past max_age goes only together with every segment it shares a trace
// with, so no trace is left half-deleted; it waits for its partners.
void Store::EnforceRetention() {
  std::vector<std::shared_ptr<SegmentReader>> segments;
  {
    std::shared_lock lock(mu_);
    segments = segments_;
  }
  // Oldest written first: retention keeps data for max_age after it
  // arrived, whatever timestamps its spans carry.
  std::sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) {
    return a->meta().written_unix_nanos < b->meta().written_unix_nanos;
  });
  uint64_t total = 0;
  for (const auto& seg : segments) total += seg->file_bytes();
  uint64_t now = UnixNanosNow();
  uint64_t max_age = uint64_t(options_.retention_max_age.count()) * 1'000'000;
  std::vector<uint64_t> expired;
  size_t first_kept = 0;
  while (first_kept < segments.size() && options_.retention_max_bytes > 0 &&
         total > options_.retention_max_bytes) {
    expired.push_back(segments[first_kept]->meta().id);
    total -= segments[first_kept++]->file_bytes();
  }
  std::vector<std::shared_ptr<SegmentReader>> old, kept;
  for (size_t i = first_kept; i < segments.size(); ++i) {
    bool too_old = max_age > 0 && segments[i]->meta().written_unix_nanos + max_age < now;
    (too_old ? old : kept).push_back(segments[i]);
  }
  // Fixpoint: an old segment sharing a trace with a kept one is kept, which
  // may in turn keep others.
  for (bool changed = true; changed && !old.empty();) {
    changed = false;
    for (size_t i = 0; i < old.size(); ++i) {
      bool shared = std::any_of(kept.begin(), kept.end(), [&](const auto& k) {
        // Segments never change: each pair is examined once.
        auto key = std::make_pair(old[i]->meta().id, k->meta().id);
        auto it = shares_trace_.find(key);
        if (it == shares_trace_.end())
          it = shares_trace_.emplace(key, SharesTrace(*old[i], *k)).first;
        return it->second;
      });
      if (shared) {
        kept.push_back(old[i]);
        old.erase(old.begin() + static_cast<long>(i));
        changed = true;
        break;
      }
    }
  }
  for (const auto& seg : old) expired.push_back(seg->meta().id);
  if (!expired.empty()) RemoveSegments(expired);
  std::erase_if(shares_trace_, [&](const auto& entry) {
    auto gone = [&](uint64_t id) {
      return std::find(expired.begin(), expired.end(), id) != expired.end();
    };
    return gone(entry.first.first) || gone(entry.first.second);
  });
}

// Unlisted first, then unlinked: a reader holding the segment keeps reading
// its open file; a crash between the two leaves a file that retention finds
// again on the next start.
void Store::RemoveSegments(const std::vector<uint64_t>& ids) {
  {
    std::unique_lock lock(mu_);
    std::erase_if(segments_, [&](const auto& s) {
      return std::find(ids.begin(), ids.end(), s->meta().id) != ids.end();
    });
  }
  ForgetGraphShares(ids);
  for (uint64_t id : ids) RemoveOrWarn(SegmentPath(id));
  logger_->info("store: retention deleted {} segment(s)", ids.size());
}

}  // namespace polytrace::store

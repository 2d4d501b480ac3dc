// HeadBlock: the newest spans, in memory and searchable the moment they are
// appended. A SpanTable in arrival order plus a trace ID index. When full
// (or old) it is frozen and sealed into a segment while a new head takes
// the writes; a frozen head stays readable until its segment is in place.
//
// Not thread-safe: the store appends under its lock; a frozen head is
// immutable and read without one.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/inlined_vector.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "core/traces.h"
#include "store/engine/span_matcher.h"
#include "store/table/span_table.h"

namespace polytrace::store {

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t h;
    std::memcpy(&h, id.bytes.data(), 8);  // trace IDs are random: no mixing needed
    return h;
  }
};

class HeadBlock {
 public:
  // A trace's rows, in arrival order. Inline up to 8: most traces' spans
  // in one head need no allocation of their own (the node-per-trace map
  // with a vector each cost ~3% of ingest CPU).
  using TraceRows = absl::InlinedVector<uint32_t, 8>;
  using TraceIndex = absl::flat_hash_map<TraceId, TraceRows, TraceIdHash>;

  // `expected_rows`: about how many spans it will hold when sealed. Its
  // columns are reserved for them up front: growing them by doubling copied
  // each column and faulted in fresh pages over and over while ingesting.
  explicit HeadBlock(size_t expected_rows = 0) : created_(std::chrono::steady_clock::now()) {
    if (expected_rows == 0) return;
    table_.Reserve(expected_rows, expected_rows * kExpectedCellsPerRow);
    index_.reserve(expected_rows / kExpectedRowsPerTrace);
  }
  static constexpr size_t kExpectedCellsPerRow = 12, kExpectedRowsPerTrace = 8;

  void Append(const Traces& traces, uint64_t wal_seq) {
    uint32_t first = table_.Append(traces);
    for (uint32_t row = first; row < table_.rows(); ++row) {
      index_[table_.trace_id[row]].push_back(row);
      operations_.insert(uint64_t(table_.service[row]) << 40 | uint64_t(table_.name[row]) << 8 |
                         table_.kind[row]);
    }
    tags_.Add(table_, first, traces);
    max_wal_seq_ = std::max(max_wal_seq_, wal_seq);
  }
  // What the attributes of every row appended can hold (SpanMatcher).
  const TagSummary& tag_summary() const { return tags_; }

  const SpanTable& table() const { return table_; }
  std::span<const uint32_t> RowsOf(const TraceId& id) const {
    auto it = index_.find(id);
    if (it == index_.end()) return {};
    return it->second;
  }
  const TraceIndex& index() const { return index_; }
  // Every row, sorted by (trace ID, start, span ID) as a segment stores
  // them. Sorts the traces, then each trace's few rows: far fewer random
  // reads than sorting every row by its trace ID.
  std::vector<uint32_t> SortedRows() const;
  // (service id << 40 | name id << 8 | kind) of every span appended.
  const absl::flat_hash_set<uint64_t>& operations() const { return operations_; }
  size_t MemoryBytes() const {
    return table_.MemoryBytes() + index_.capacity() * (sizeof(TraceId) + sizeof(TraceRows) + 1) +
           tags_.blocks.size() * TagSummary::kBlockBytes;
  }
  std::chrono::steady_clock::time_point created() const { return created_; }
  // The newest WAL file holding this head's spans.
  uint64_t max_wal_seq() const { return max_wal_seq_; }

 private:
  SpanTable table_;
  TraceIndex index_;
  absl::flat_hash_set<uint64_t> operations_;
  TagSummary tags_;
  std::chrono::steady_clock::time_point created_;
  uint64_t max_wal_seq_ = 0;
};

}  // namespace polytrace::store

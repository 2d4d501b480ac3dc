// HeadBlock: the newest spans, in memory and searchable the moment they are
// appended. A SpanTable in arrival order plus a trace ID index. When full
// (or old) it is frozen and sealed into a segment while a new head takes
// the writes; a frozen head stays readable until its segment is in place.
//
// Not thread-safe: the store appends under its lock; a frozen head is
// immutable and read without one.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/traces.h"
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
  HeadBlock() : created_(std::chrono::steady_clock::now()) {}

  void Append(const Traces& traces, uint64_t wal_seq) {
    uint32_t first = table_.Append(traces);
    for (uint32_t row = first; row < table_.rows(); ++row) {
      index_[table_.trace_id[row]].push_back(row);
      operations_.insert(uint64_t(table_.service[row]) << 40 | uint64_t(table_.name[row]) << 8 |
                         table_.kind[row]);
    }
    max_wal_seq_ = std::max(max_wal_seq_, wal_seq);
  }

  const SpanTable& table() const { return table_; }
  std::span<const uint32_t> RowsOf(const TraceId& id) const {
    auto it = index_.find(id);
    if (it == index_.end()) return {};
    return it->second;
  }
  const std::unordered_map<TraceId, std::vector<uint32_t>, TraceIdHash>& index() const {
    return index_;
  }
  // (service id << 40 | name id << 8 | kind) of every span appended.
  const std::unordered_set<uint64_t>& operations() const { return operations_; }
  size_t MemoryBytes() const { return table_.MemoryBytes() + index_.size() * 64; }
  std::chrono::steady_clock::time_point created() const { return created_; }
  // The newest WAL file holding this head's spans.
  uint64_t max_wal_seq() const { return max_wal_seq_; }

 private:
  SpanTable table_;
  std::unordered_map<TraceId, std::vector<uint32_t>, TraceIdHash> index_;
  std::unordered_set<uint64_t> operations_;
  std::chrono::steady_clock::time_point created_;
  uint64_t max_wal_seq_ = 0;
};

}  // namespace polytrace::store

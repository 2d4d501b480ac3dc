#include "store/engine/trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <numeric>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "store/engine/trace_order.h"

namespace polytrace::store {

TraceReader::TraceReader(Sources sources, size_t piece_spans)
    : sources_(std::move(sources)), piece_spans_(std::max<size_t>(piece_spans, 1)) {
  // The places the trace lies, earliest first: each head, and each
  // segment's run of row groups (its rows of a trace are sorted by start
  // across its groups, so a run keeps its order). A client drawing the
  // trace as it arrives gets its root in the first pieces: a head holds the
  // newest spans, and a million-span trace sent root first had its root in
  // the last pieces when heads came first.
  struct Run {
    uint64_t earliest;  // a head's trace rows' first start; a run's first group's min start
    std::vector<Part> parts;
  };
  std::vector<Run> runs;
  auto head_run = [&](const HeadBlock* head, std::span<const uint32_t> rows, bool live) {
    std::shared_lock<std::shared_mutex> lock;
    if (live) lock = std::shared_lock(*sources_.live_mu);
    uint64_t earliest = UINT64_MAX;
    for (uint32_t row : rows) earliest = std::min(earliest, head->table().start[row]);
    runs.push_back(Run{earliest, {Part{head, rows, live, nullptr, 0}}});
  };
  if (sources_.live_head && !sources_.live_rows.empty()) {
    head_run(sources_.live_head.get(), sources_.live_rows, /*live=*/true);
  }
  for (const auto& head : sources_.frozen_heads) {
    std::span<const uint32_t> rows = head->RowsOf(sources_.trace_id);
    if (!rows.empty()) head_run(head.get(), rows, /*live=*/false);
  }
  for (const auto& seg : sources_.segments) {
    // A segment's rows are sorted by trace ID, so are its groups' ranges:
    // the groups that may hold the trace are the last ones starting at or
    // before it, back to the first that ends before it.
    const auto& groups = seg->footer().row_groups;
    auto after = std::partition_point(groups.begin(), groups.end(), [&](const RowGroupInfo& g) {
      return g.first_trace <= sources_.trace_id;
    });
    auto first = after;
    while (first != groups.begin() && sources_.trace_id <= std::prev(first)->last_trace) --first;
    if (first == after) continue;
    Run& run = runs.emplace_back(Run{first->min_start, {}});
    for (auto g = first; g != after; ++g) {
      run.parts.push_back(
          Part{nullptr, {}, /*live=*/false, seg.get(), static_cast<uint32_t>(g - groups.begin())});
    }
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run& a, const Run& b) { return a.earliest < b.earliest; });
  for (Run& run : runs) parts_.insert(parts_.end(), run.parts.begin(), run.parts.end());
  segment_parts_ = static_cast<size_t>(
      std::count_if(parts_.begin(), parts_.end(), [](const Part& p) { return p.head == nullptr; }));
}

void TraceReader::Rewind() {
  part_ = 0;
  row_ = 0;
}

template <typename Take>
Result<bool> TraceReader::Advance(Take&& take) {
  size_t taken = 0;
  while (part_ < parts_.size() && taken < piece_spans_) {
    const Part& p = parts_[part_];
    if (p.head != nullptr) {
      size_t n = std::min(p.rows.size() - row_, piece_spans_ - taken);
      std::span<const uint32_t> rows = p.rows.subspan(row_, n);
      std::shared_lock<std::shared_mutex> lock;
      if (p.live) lock = std::shared_lock(*sources_.live_mu);
      if (Status s = take(p.head->table(), rows); !s.ok()) return s;
      taken += n;
      row_ += n;
      if (row_ == p.rows.size()) {
        ++part_;
        row_ = 0;
      }
      continue;
    }
    // A trace over many row groups (a big one, streamed) passes over them
    // once: its blocks stay out of the shared cache.
    std::optional<SegmentReader::PassingReads> passing;
    if (segment_parts_ > kSharedParts) passing.emplace();
    Result<SpanTable> table = take.Read(*p.segment, p.group, sources_.trace_id);
    if (!table.ok()) return table.status();
    std::vector<uint32_t> rows(table->rows());  // only the trace's rows were decoded
    std::iota(rows.begin(), rows.end(), 0u);
    if (Status s = take(*table, rows); !s.ok()) return s;
    taken += rows.size();
    ++part_;
  }
  return taken > 0;
}

namespace {

Status Undecodable(const std::string& where) {
  return Status::Internal(fmt::format("store: {} holds an undecodable span", where));
}

// Materializes whole spans into a piece.
struct TakeSpans {
  Traces* piece;
  Result<SpanTable> Read(const SegmentReader& seg, uint32_t group, const TraceId& id) const {
    Result<SpanTable> t = seg.ReadRowGroup(group, {&id, 1});
    if (!t.ok()) return Status::Internal(fmt::format("store: {}", t.status().message()));
    return t;
  }
  Status operator()(const SpanTable& table, std::span<const uint32_t> rows) const {
    if (!table.Materialize(rows, piece)) return Undecodable("a head or row group");
    return Status::Ok();
  }
};

// Only the IDs: the columns that hold them.
struct TakeIds {
  std::vector<std::pair<SpanId, SpanId>>* ids;
  Result<SpanTable> Read(const SegmentReader& seg, uint32_t group, const TraceId& id) const {
    // The span fields every row decode reads (times and operations, small
    // bit-packed columns), and the IDs; no attributes, events or links.
    constexpr ColumnMask kIdColumns =
        kSearchColumns | ColumnBit(kSpanIds) | ColumnBit(kParents) | ColumnBit(kParentIds);
    Result<SpanTable> t = seg.ReadRowGroup(group, {&id, 1}, kIdColumns);
    if (!t.ok()) return Status::Internal(fmt::format("store: {}", t.status().message()));
    return t;
  }
  Status operator()(const SpanTable& table, std::span<const uint32_t> rows) const {
    for (uint32_t row : rows) ids->emplace_back(table.span_id[row], table.parent_span_id[row]);
    return Status::Ok();
  }
};

}  // namespace

Result<bool> TraceReader::Next(Traces* piece) {
  *piece = Traces();
  Result<bool> more = Advance(TakeSpans{piece});
  if (more.ok() && *more) OrderTrace(piece);
  return more;
}

Result<bool> TraceReader::NextIds(std::vector<std::pair<SpanId, SpanId>>* ids) {
  return Advance(TakeIds{ids});
}

}  // namespace polytrace::store

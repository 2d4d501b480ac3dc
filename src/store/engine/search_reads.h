// The row groups a search read whole for the traces it found there
// (SegmentReader::ReadTracesHolding), kept for the fetch of those traces:
// a search for a user ID found its few traces, then GetTraces opened each
// of their row groups again to read them, and that second read was a
// third of the request.
//
// One request's: not shared between threads. Holds its segments, so a
// group is never mistaken for one of another segment at the same address
// after a compaction.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "store/segment/segment_reader.h"
#include "store/table/span_table.h"

namespace polytrace::store {

class SearchReads {
 public:
  void Keep(std::shared_ptr<const SegmentReader> segment, uint32_t group, SpanTable traces) {
    pieces_.push_back({std::move(segment), group, std::move(traces)});
  }
  // The traces read whole from row group `group` of `segment`: each trace
  // in it has all of its rows of that group. Null when none were kept.
  const SpanTable* Find(const SegmentReader* segment, uint32_t group) const {
    for (const Piece& p : pieces_) {
      if (p.segment.get() == segment && p.group == group) return &p.traces;
    }
    return nullptr;
  }
  size_t size() const { return pieces_.size(); }  // row groups kept

 private:
  struct Piece {
    std::shared_ptr<const SegmentReader> segment;
    uint32_t group;
    SpanTable traces;
  };
  std::vector<Piece> pieces_;
};

}  // namespace polytrace::store

// TraceReader: one trace's spans a piece at a time, in bounded memory. A
// trace of a million spans is never held whole: each piece is a head's rows
// or a few row groups' (about `piece_spans` spans, more by at most one row
// group), what a streamed answer writes before it reads the next.
//
// It reads what the store held when it was made (Store::ReadTrace): the
// heads and segments of that instant, kept alive by it (a segment compacted
// away meanwhile is still read; spans appended later are not). Each piece
// is ordered as GetTrace orders a trace, so a trace that fits in one piece
// reads exactly as GetTrace returns it.
//
// Not thread-safe: one reader, one thread at a time. The store must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <vector>

#include "core/status.h"
#include "core/traces.h"
#include "store/engine/head_block.h"
#include "store/segment/segment_reader.h"

namespace polytrace::store {

class TraceReader {
 public:
  // About a row group: a piece of JSON is then ~2 MiB, not the 9 MiB of
  // 8,192 spans (a million-span answer's memory rise was 79 MiB with those).
  static constexpr size_t kPieceSpans = 2048;

  // Where the trace's spans are. `live_head` is still being appended to:
  // read under `live_mu` (shared), only up to the rows it had.
  struct Sources {
    TraceId trace_id;
    std::shared_ptr<const HeadBlock> live_head;
    std::shared_mutex* live_mu = nullptr;
    std::vector<uint32_t> live_rows;
    std::vector<std::shared_ptr<const HeadBlock>> frozen_heads;
    std::vector<std::shared_ptr<SegmentReader>> segments;  // those whose filter admits the ID
  };
  explicit TraceReader(Sources sources, size_t piece_spans = kPieceSpans);

  // The next piece into `*piece` (replaced; never empty when true); false
  // when the trace is read.
  Result<bool> Next(Traces* piece);
  // The span and parent span IDs of the next piece's spans, appended
  // (pairs), reading only those columns: for an answer that must know every
  // span of the trace before it writes the first (e.g. orphans). False when
  // the trace is read. Advances the reader as Next does.
  Result<bool> NextIds(std::vector<std::pair<SpanId, SpanId>>* ids);
  // From the first piece again.
  void Rewind();
  // Whether every place the trace may lie was read: after a first piece, a
  // trace that fit in it.
  bool done() const { return part_ == parts_.size(); }

 private:
  // One place the trace's spans lie: a head's rows, or a row group.
  struct Part {
    const HeadBlock* head = nullptr;  // else a segment's row group
    std::span<const uint32_t> rows;   // a head's rows of the trace
    bool live = false;
    const SegmentReader* segment = nullptr;
    uint32_t group = 0;
  };
  // Reads parts (a head's rows `piece_spans` at a time) until about
  // `piece_spans` spans were given to `take`; false when no span was left
  // (a row group whose ID range covers the trace need not hold it).
  template <typename Take>
  Result<bool> Advance(Take&& take);

  Sources sources_;
  size_t piece_spans_;
  // Row groups a trace usually fits in; a trace in more is read without
  // adding to the shared column cache (SegmentReader::PassingReads).
  static constexpr size_t kSharedParts = 4;
  std::vector<Part> parts_;
  size_t segment_parts_ = 0;
  size_t part_ = 0;  // the next part
  size_t row_ = 0;   // within a head part: its next row
};

}  // namespace polytrace::store

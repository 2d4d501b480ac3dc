#include "store/segment/segment_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <tuple>

#include "core/reclaimable.h"
#include "store/format/bitpack.h"
#include "store/format/coding.h"
#include "store/format/crc32c.h"
#include "store/segment/attribute_columns.h"
#include "store/segment/row_shapes.h"
#include "store/segment/shared_lru.h"
#include "store/table/value_codec.h"

namespace polytrace::store {
namespace {

// One decompression context per thread: ZSTD_decompress would allocate and
// free one per block, twenty times per row group read.
ZSTD_DCtx* ThreadDecompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(),
                                                                        ZSTD_freeDCtx);
  return ctx.get();
}

// Decompressed column blocks every thread shares, by (reader id, row group,
// column), up to SegmentReader::kSharedColumnBytes.
using BlockKey = std::tuple<uint64_t, uint32_t, int>;
SharedLru<BlockKey, std::string>& SharedBlocks() {
  static auto* cache = new SharedLru<BlockKey, std::string>(SegmentReader::kSharedColumnBytes);
  return *cache;
}

// The content of a zstd frame holding it as one raw block, a view into
// `frame`; nullopt for any other frame. zstd stores a block it cannot
// shrink that way: random span IDs, bit-packed times.
std::optional<std::string_view> RawFrameContent(std::string_view frame, uint32_t raw_size) {
  constexpr uint32_t kZstdMagic = 0xFD2FB528;
  if (frame.size() < 5 || DecodeFixed32(frame.data()) != kZstdMagic) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(frame[i]); };
  // Frame header descriptor: content size field size (bits 7-6), single
  // segment (5), reserved (3), content checksum (2), dictionary ID (1-0).
  const uint8_t descriptor = byte(4);
  const bool single_segment = descriptor & 0x20, checksum = descriptor & 0x04;
  if ((descriptor & 0x08) || (descriptor & 0x03)) return std::nullopt;  // reserved; a dictionary
  const unsigned size_flag = descriptor >> 6;
  const size_t size_bytes = size_flag == 0 ? (single_segment ? 1 : 0) : size_t(1) << size_flag;
  const size_t header = 5 + (single_segment ? 0 : 1) + size_bytes;
  if (frame.size() < header + 3) return std::nullopt;
  // Block header: last block (bit 0), type (2-1, 0: raw), size (23-3).
  const uint32_t block = byte(header) | byte(header + 1) << 8 | byte(header + 2) << 16;
  const uint32_t type = (block >> 1) & 3, size = block >> 3;
  if (!(block & 1) || type != 0 || size != raw_size ||
      frame.size() != header + 3 + size + (checksum ? 4 : 0)) {
    return std::nullopt;
  }
  return frame.substr(header + 3, size);
}

Status PRead(int fd, uint64_t offset, size_t n, std::string* out, const std::string& path) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      return Status::InvalidArgument(
          fmt::format("{}: read {} bytes at {}: {}", path, n, offset,
                      r == 0 ? "past end of file" : std::strerror(errno)));
    }
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

// Decodes the raw columns of one row group into `t`: every row, or only
// the rows of the traces in `only` (sorted). Columns are sequential
// streams: the rows of other traces are stepped over column by column,
// nothing of them is stored or interned.
class RowGroupDecoder {
 public:
  RowGroupDecoder(uint8_t version, const ValueTables* tables,
                  const std::array<std::string_view, kColumnCount>& c, uint32_t rows,
                  uint64_t min_start, uint64_t max_start, std::span<const TraceId> only,
                  ColumnMask columns, const KeyMask& keys, const RowPredicate* keep, SpanTable* t,
                  bool whole = false)
      : version_(version),
        tables_(tables),
        raw_(c),
        rows_(rows),
        min_start_(min_start),
        max_start_(max_start),
        only_(only),
        columns_(columns),
        keys_(keys),
        keep_(keep),
        whole_(whole),
        t_(t) {
    for (int i = 0; i < kColumnCount; ++i) in_[i] = std::make_unique<ByteReader>(c[i]);
  }

  // Whether Decode read only the traces holding candidate rows (whole ones
  // with `whole`). With `whole` and no attribute condition to narrow by,
  // Decode reads nothing.
  bool narrowed() const { return narrowed_; }

  bool Decode() {
    if (version_ >= 2 && (!ParseTimes() || !ReadOps())) return false;
    const TableDicts& d = t_->dicts();
    if (by_shape_) {
      if (!shapes_.Parse(raw_[kAttrCounts], raw_[kAttrKeys], raw_[kAttrTypes], rows_,
                         static_cast<uint32_t>(d.keys.size()))) {
        return false;
      }
      // A whole group's rows (a search's read): no vector regrows cell by cell.
      if (only_.empty() && keep_ == nullptr && keys_.empty()) t_->Reserve(rows_, shapes_.cells());
    }
    if (has(kAttrStrings) &&
        !values_.Parse(raw_[kAttrStrings], raw_[kStringDict], raw_[kAttrInts], raw_[kAttrDoubles],
                       d.keys.size(), version_, tables_, raw_[kAttrPacked])) {
      return false;
    }
    if (has(kAttrCounts)) {
      for (auto& counts : pending_) counts.assign(d.keys.size(), 0);
    }
    CompileConditions();
    // A search's time bound that cuts the group (a Jaeger search for its
    // newest traces, past the first groups, keeps a few rows of each).
    std::optional<std::vector<uint32_t>> in_time;
    if (version_ >= 2 && only_.empty() && !whole_ && keep_ != nullptr &&
        (keep_->start_min > min_start_ || keep_->start_max < max_start_)) {
      in_time.emplace();
      if (!RowsInTimeRange(&*in_time)) return false;
    }
    if (only_.empty() && !conditions_.empty() && conditions_.size() <= 64 && has(kAttrKeys) &&
        has(kAttrTypes)) {
      std::vector<uint32_t> candidates;
      narrowed_ = true;
      if (!CandidateRows(&candidates)) return false;
      if (in_time) {
        std::vector<uint32_t> both;
        std::set_intersection(candidates.begin(), candidates.end(), in_time->begin(),
                              in_time->end(), std::back_inserter(both));
        candidates = std::move(both);
      }
      return DecodeTracesHolding(candidates);
    }
    if (whole_) return true;  // nothing narrows: not read (narrowed() false)
    if (in_time) return DecodeTracesHolding(*in_time);
    uint32_t row = 0;
    size_t next = 0;  // the next trace of `only_` to look for
    while (row < rows_) {
      if (!only_.empty()) {
        if (next == only_.size()) return true;  // every wanted trace read
        bool at_target = false;
        if (!SkipToTrace(only_[next], &row, &at_target)) return false;
        ++next;
        if (!at_target) continue;  // not in this group (a Bloom filter's false positive)
      }
      if (!DecodeTrace(&row)) return false;
    }
    return true;
  }

 private:
  ByteReader& in(Column c) { return *in_[c]; }
  bool has(Column c) const { return columns_ & ColumnBit(c); }

  // Decodes the trace run at `row` (kept: every row is one of a wanted
  // trace, or every row is wanted).
  bool DecodeTrace(uint32_t* row) {
    std::string_view raw_id;
    uint64_t count;
    if (!in(kTraceRuns).GetBytes(16, &raw_id) || !in(kTraceRuns).GetVarint(&count) || count == 0 ||
        count > rows_ - *row) {
      return false;
    }
    TraceId id;
    std::memcpy(id.bytes.data(), raw_id.data(), 16);
    trace_span_ids_.clear();
    pending_parents_.clear();
    uint64_t previous_start = min_start_;
    for (uint64_t k = 0; k < count; ++k, ++*row) {
      if (!DecodeRow(id, k == 0, &previous_start)) return false;
    }
    return ResolveParents();
  }

  // The rows that may pass every attribute condition: each has a cell of
  // the condition's key that is not a string of another value. Found from
  // the cell columns and the conditions' strings alone (walked on copies:
  // nothing consumed), so that the traces without one are stepped over
  // column by column instead of decoded row by row (a search for a user ID
  // walked every row of every group its postings named).
  bool CandidateRows(std::vector<uint32_t>* rows) {
    const size_t n = conditions_.size();
    std::vector<std::vector<uint64_t>> holding(n);  // positions among the key's strings
    for (size_t i = 0; i < n; ++i) {
      if (!values_.StringPositions(conditions_[i].key, conditions_[i].local, &holding[i])) {
        return false;
      }
    }
    std::vector<size_t> next(n, 0);
    std::vector<uint64_t> position(n, 0);  // the next string cell's, per condition
    const uint64_t all = n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
    if (by_shape_) return CandidateRowsByShape(holding, all, rows);
    ByteReader counts = in(kAttrCounts), keys = in(kAttrKeys), types = in(kAttrTypes);
    const size_t key_count = t_->dicts().keys.size();
    if (key_count <= 128) {
      // Key ids are bytes (see CountCells): each condition's key is
      // looked for in one byte range, rows found from their cell counts.
      std::vector<uint64_t> ends(rows_);  // per row, the cell after its last
      uint64_t total = 0;
      for (uint64_t& end : ends) {
        uint64_t count;
        if (!counts.GetVarint(&count) || count > keys.remaining() - total) return false;
        end = total += count;
      }
      std::string_view key_bytes, type_bytes;
      if (!keys.GetBytes(total, &key_bytes) || !types.GetBytes(total, &type_bytes)) return false;
      const auto* k = reinterpret_cast<const uint8_t*>(key_bytes.data());
      const auto* t = reinterpret_cast<const uint8_t*>(type_bytes.data());
      std::vector<uint64_t> met(rows_, 0);
      for (size_t i = 0; i < n; ++i) {
        const uint8_t key = static_cast<uint8_t>(conditions_[i].key);
        const uint64_t bit = uint64_t(1) << i;
        uint32_t row = 0;
        for (uint64_t c = 0; c < total; ++c) {
          if (k[c] != key) continue;
          while (ends[row] <= c) ++row;
          if (t[c] != uint8_t(CellType::kString)) {
            met[row] |= bit;  // judged when the row is read
            continue;
          }
          if (next[i] < holding[i].size() && holding[i][next[i]] == position[i]) {
            met[row] |= bit;
            ++next[i];
          }
          ++position[i];
        }
      }
      for (uint32_t row = 0; row < rows_; ++row) {
        if (met[row] == all) rows->push_back(row);
      }
      return true;
    }
    for (uint32_t row = 0; row < rows_; ++row) {
      uint64_t count;
      if (!counts.GetVarint(&count) || count > keys.remaining()) return false;
      uint64_t met = 0;
      for (uint64_t c = 0; c < count; ++c) {
        uint32_t key;
        uint8_t type;
        if (!keys.GetVarint32(&key) || key >= key_count || !types.GetByte(&type)) return false;
        for (size_t i = 0; i < n; ++i) {
          if (conditions_[i].key != key) continue;
          if (type != uint8_t(CellType::kString)) {
            met |= uint64_t(1) << i;  // judged when the row is read
          } else {
            if (next[i] < holding[i].size() && holding[i][next[i]] == position[i]) {
              met |= uint64_t(1) << i;
              ++next[i];
            }
            ++position[i];
          }
        }
      }
      if (met == all) rows->push_back(row);
    }
    return true;
  }

  // CandidateRows from row shapes (version 10): per shape, how many string
  // cells of each condition's key it has and whether it has another kind
  // of cell of it; then a row at a time.
  bool CandidateRowsByShape(const std::vector<std::vector<uint64_t>>& holding, uint64_t all,
                            std::vector<uint32_t>* rows) {
    const size_t n = conditions_.size();
    std::vector<uint64_t> met(rows_, 0);
    std::vector<uint32_t> strings(shapes_.size());
    std::vector<uint8_t> other(shapes_.size());
    for (size_t i = 0; i < n; ++i) {
      for (uint32_t s = 0; s < shapes_.size(); ++s) {
        strings[s] = 0;
        other[s] = 0;
        std::span<const uint32_t> keys = shapes_.Keys(s);
        std::span<const uint8_t> types = shapes_.Types(s);
        for (size_t c = 0; c < keys.size(); ++c) {
          if (keys[c] != conditions_[i].key) continue;
          if (types[c] == uint8_t(CellType::kString)) {
            ++strings[s];
          } else {
            other[s] = 1;  // judged when the row is read
          }
        }
      }
      const uint64_t bit = uint64_t(1) << i;
      const std::vector<uint64_t>& held = holding[i];
      size_t next = 0;
      uint64_t position = 0;  // of the row's first string cell of the key
      for (uint32_t row = 0; row < rows_; ++row) {
        const uint32_t s = shapes_.ShapeOf(row);
        if (other[s]) met[row] |= bit;
        position += strings[s];
        while (next < held.size() && held[next] < position) {
          met[row] |= bit;
          ++next;
        }
      }
    }
    for (uint32_t row = 0; row < rows_; ++row) {
      if (met[row] == all) rows->push_back(row);
    }
    return true;
  }

  // The rows starting within the predicate's bounds, ascending, from the
  // parsed times alone (walked on a copy of the trace runs: nothing
  // consumed), so that the traces without one are stepped over column by
  // column instead of decoded row by row.
  bool RowsInTimeRange(std::vector<uint32_t>* rows) {
    ByteReader runs = in(kTraceRuns);
    size_t first = 0, delta = 0;
    uint32_t row = 0;
    while (runs.remaining() > 0) {
      std::string_view raw_id;
      uint64_t count;
      if (!runs.GetBytes(16, &raw_id) || !runs.GetVarint(&count) || count == 0 ||
          count > rows_ - row || first >= first_starts_.size()) {
        return false;
      }
      uint64_t start = min_start_ + uint64_t(first_starts_[first++]);
      for (uint64_t k = 0; k < count; ++k, ++row) {
        if (k > 0) {
          if (delta >= start_deltas_.size()) return false;
          start += uint64_t(start_deltas_[delta++]);
        }
        if (start >= keep_->start_min && start <= keep_->start_max) rows->push_back(row);
      }
    }
    return row == rows_;
  }

  // Decodes the traces holding one of `rows` (ascending), stepping over the
  // others.
  bool DecodeTracesHolding(std::span<const uint32_t> rows) {
    uint32_t row = 0;  // the first row not yet read or stepped over
    uint64_t skip_rows = 0, skip_runs = 0;
    size_t next = 0;
    ByteReader runs = in(kTraceRuns);
    while (next < rows.size()) {
      ByteReader before = runs;
      std::string_view raw_id;
      uint64_t count;
      if (!runs.GetBytes(16, &raw_id) || !runs.GetVarint(&count) || count == 0 ||
          count > rows_ - row - skip_rows) {
        return false;
      }
      if (rows[next] >= row + skip_rows + count) {
        skip_rows += count;
        ++skip_runs;
        continue;
      }
      in(kTraceRuns) = before;
      if (!SkipRows(skip_rows, skip_runs)) return false;
      row += static_cast<uint32_t>(skip_rows);
      skip_rows = skip_runs = 0;
      if (!DecodeTrace(&row)) return false;
      while (next < rows.size() && rows[next] < row) ++next;
      runs = in(kTraceRuns);
    }
    return true;
  }

  bool GetSpanId(Column c, SpanId* out) {
    std::string_view raw;
    if (!in(c).GetBytes(8, &raw)) return false;
    std::memcpy(out->bytes.data(), raw.data(), 8);
    return true;
  }

  // Version 2: the bit-packed times, each unpacked when its row is read
  // (they are not a byte stream one can walk row by row).
  bool ParseTimes() {
    if (!first_starts_.Parse(in(kStarts)) || !start_deltas_.Parse(in(kStarts)) ||
        !durations_.Parse(in(kDurations))) {
      return false;
    }
    return first_starts_.size() + start_deltas_.size() == rows_ && durations_.size() == rows_;
  }

  // Version 2: the table of (service, name, origin, kind) at the head of
  // kServices; rows then give an index into it.
  bool ReadOps() {
    uint64_t n;
    if (!in(kServices).GetVarint(&n) || n > in(kServices).remaining()) return false;
    ops_.resize(n);
    const TableDicts& d = t_->dicts();
    for (Op& op : ops_) {
      if (!in(kServices).GetVarint32(&op.service) || !in(kServices).GetVarint32(&op.name) ||
          !in(kServices).GetVarint32(&op.origin) || !in(kServices).GetByte(&op.kind) ||
          op.service >= d.services.size() || op.name >= d.names.size() ||
          op.origin >= d.origins.size()) {
        return false;
      }
    }
    return true;
  }

  bool NextOp(uint32_t* service, uint32_t* name, uint32_t* origin, uint8_t* kind) {
    if (version_ >= 2) {
      uint32_t id;
      if (!in(kServices).GetVarint32(&id) || id >= ops_.size()) return false;
      *service = ops_[id].service;
      *name = ops_[id].name;
      *origin = ops_[id].origin;
      *kind = ops_[id].kind;
      return true;
    }
    return in(kServices).GetVarint32(service) && in(kNames).GetVarint32(name) &&
           (!has(kOrigins) || in(kOrigins).GetVarint32(origin)) && in(kKinds).GetByte(kind);
  }

  // The row's start (each trace's first vs the group's min start, the others
  // vs the previous row) and duration.
  bool NextTimes(bool first_of_trace, uint64_t* previous_start, uint64_t* start,
                 uint64_t* duration) {
    if (version_ >= 2) {
      if (first_of_trace) {
        if (next_first_ >= first_starts_.size()) return false;
        *start = *previous_start + uint64_t(first_starts_[next_first_++]);
      } else {
        if (next_delta_ >= start_deltas_.size()) return false;
        *start = *previous_start + uint64_t(start_deltas_[next_delta_++]);
      }
      *duration = uint64_t(durations_[next_row_++]);
    } else {
      uint64_t start_delta, zigzag_duration;
      if (!in(kStarts).GetVarint(&start_delta) || !in(kDurations).GetVarint(&zigzag_duration)) {
        return false;
      }
      *start = *previous_start + static_cast<uint64_t>(UnZigZag(start_delta));
      *duration = static_cast<uint64_t>(UnZigZag(zigzag_duration));
    }
    *previous_start = *start;
    return true;
  }

  bool DecodeRow(const TraceId& trace_id, bool first_of_trace, uint64_t* previous_start) {
    SpanId span_id, parent_id;
    uint64_t parent = 0, start, duration;
    uint32_t service, name, origin = 0;
    uint8_t kind, status;
    if ((has(kSpanIds) && !GetSpanId(kSpanIds, &span_id)) ||
        (has(kParents) && !in(kParents).GetVarint(&parent)) ||
        (parent == 1 && !GetSpanId(kParentIds, &parent_id)) ||
        !NextTimes(first_of_trace, previous_start, &start, &duration) ||
        !NextOp(&service, &name, &origin, &kind) || !in(kStatuses).GetByte(&status)) {
      return false;
    }
    trace_span_ids_.push_back(span_id);
    const TableDicts& d = t_->dicts();
    if (service >= d.services.size() || name >= d.names.size() ||
        (has(kOrigins) && origin >= d.origins.size())) {
      return false;
    }
    if (!whole_ && keep_ != nullptr &&
        !keep_->Keeps(service, name, kind, status, start, start + duration)) {
      return SkipCells();
    }
    if (!ReadCells()) return false;
    if (!whole_ && !CellsMayMatch()) {
      std::string_view extras;
      return !has(kExtras) || in(kExtras).GetLengthPrefixed(&extras);
    }
    // A parent given by position may come later in the trace: resolved
    // once the trace's rows are all read.
    if (parent >= 2) pending_parents_.push_back({static_cast<uint32_t>(t_->rows()), parent - 2});
    t_->trace_id.push_back(trace_id);
    t_->span_id.push_back(span_id);
    t_->parent_span_id.push_back(parent_id);
    t_->start.push_back(start);
    t_->end.push_back(start + duration);
    t_->service.push_back(service);
    t_->name.push_back(name);
    t_->origin.push_back(origin);
    t_->kind.push_back(kind);
    t_->status.push_back(status);
    return CommitCells() && DecodeExtras();
  }

  // A lookup: steps every column over the rows of the traces sorted before
  // `target`, column by column (walking them row by row, cell by cell, was
  // a third of a trace-by-ID lookup). Leaves kTraceRuns at the first run not
  // before `target` (*at_target: it is `target`'s), or at the end of the
  // group, and *row at that run's first row.
  bool SkipToTrace(const TraceId& target, uint32_t* row, bool* at_target) {
    ByteReader runs = in(kTraceRuns);
    uint64_t skip_rows = 0, skip_runs = 0;
    *at_target = false;
    while (runs.remaining() > 0) {
      std::string_view raw_id;
      uint64_t count;
      ByteReader before = runs;
      if (!runs.GetBytes(16, &raw_id) || !runs.GetVarint(&count) || count == 0 ||
          count > rows_ - *row - skip_rows) {
        return false;
      }
      int order = std::memcmp(raw_id.data(), target.bytes.data(), 16);
      if (order >= 0) {
        *at_target = order == 0;
        runs = before;  // the run starts here
        break;
      }
      skip_rows += count;
      ++skip_runs;
    }
    in(kTraceRuns) = runs;
    if (runs.remaining() == 0) {  // nothing at or after the target: the rest is not read
      *row = rows_;
      return true;
    }
    *row += static_cast<uint32_t>(skip_rows);
    return SkipRows(skip_rows, skip_runs);
  }

  bool SkipRows(uint64_t n, uint64_t runs) {
    std::string_view unused;
    if (has(kSpanIds) && !in(kSpanIds).GetBytes(8 * n, &unused)) return false;
    uint64_t v;
    if (has(kParents)) {
      uint64_t by_id = 0;  // parents given by ID (code 1) have 8 bytes in kParentIds
      if (!in(kParents).SkipVarints(n, 1, &by_id)) return false;
      if (by_id > 0 && !in(kParentIds).GetBytes(8 * by_id, &unused)) return false;
    }
    if (version_ >= 2) {
      next_first_ += runs;
      next_delta_ += n - runs;
      next_row_ += n;
      if (!in(kServices).SkipVarints(n)) return false;
    } else {
      for (Column c : {kStarts, kDurations, kServices, kNames}) {
        for (uint64_t i = 0; i < n; ++i) {
          if (!in(c).GetVarint(&v)) return false;
        }
      }
      for (uint64_t i = 0; has(kOrigins) && i < n; ++i) {
        if (!in(kOrigins).GetVarint(&v)) return false;
      }
      if (!in(kKinds).GetBytes(n, &unused)) return false;
    }
    if (!in(kStatuses).GetBytes(n, &unused)) return false;
    if (has(kAttrCounts)) {
      // Counted now, stepped over when a later row reads the key (Settle):
      // a key no row read after this uses is never stepped (a trace's
      // spans carry some of the group's keys, not all).
      if (by_shape_) {
        if (!CountShapeCells(n, &pending_)) return false;
      } else {
        uint64_t cells = 0;
        for (uint64_t i = 0; i < n; ++i) {
          if (!in(kAttrCounts).GetVarint(&v)) return false;
          cells += v;
        }
        if (!CountCells(cells, &pending_)) return false;
      }
    }
    for (uint64_t i = 0; has(kExtras) && i < n; ++i) {
      if (!in(kExtras).GetLengthPrefixed(&unused)) return false;
    }
    return true;
  }

  // Per key, how many of its cells rows stepped over hold strings, ints and
  // doubles.
  using PerKeyCells = std::array<std::vector<uint64_t>, 3>;

  // Version 10: the cells of the next `n` rows, counted by shape (a row at
  // a time); complex values stepped in their stream.
  bool CountShapeCells(uint64_t n, PerKeyCells* per_key) {
    if (n > rows_ - cell_row_) return false;
    shape_rows_.assign(shapes_.size(), 0);
    for (uint64_t r = cell_row_; r < cell_row_ + n; ++r)
      ++shape_rows_[shapes_.ShapeOf(uint32_t(r))];
    cell_row_ += static_cast<uint32_t>(n);
    std::string_view unused;
    for (uint32_t s = 0; s < shapes_.size(); ++s) {
      const uint32_t times = shape_rows_[s];
      if (times == 0) continue;
      std::span<const uint32_t> keys = shapes_.Keys(s);
      std::span<const uint8_t> types = shapes_.Types(s);
      for (size_t c = 0; c < keys.size(); ++c) {
        switch (static_cast<CellType>(types[c])) {
          case CellType::kString: (*per_key)[0][keys[c]] += times; break;
          case CellType::kInt: (*per_key)[1][keys[c]] += times; break;
          case CellType::kDouble: (*per_key)[2][keys[c]] += times; break;
          case CellType::kComplex:
            for (uint32_t i = 0; i < times; ++i) {
              if (!in(kAttrComplex).GetLengthPrefixed(&unused)) return false;
            }
            break;
          default: break;
        }
      }
    }
    return true;
  }

  // Versions 1-9: steps the cell columns over `cells` cells, adding each
  // key's to `per_key_cells`.
  bool CountCells(uint64_t cells, PerKeyCells* per_key_cells) {
    PerKeyCells& per_key = *per_key_cells;
    const size_t key_count = t_->dicts().keys.size();
    std::string_view unused;
    if (key_count <= 128) {
      // Every key id is one byte (a longer varint names a key that does not
      // exist: damage), so the cells are byte ranges, counted by loops the
      // compiler vectorises; a cell at a time was half of a search for a
      // user ID.
      std::string_view keys, types;
      if (!in(kAttrKeys).GetBytes(cells, &keys) || !in(kAttrTypes).GetBytes(cells, &types)) {
        return false;
      }
      const auto* k = reinterpret_cast<const uint8_t*>(keys.data());
      const auto* t = reinterpret_cast<const uint8_t*>(types.data());
      // One pass: the cells per (key, type); a damaged id or type poisons.
      std::array<uint32_t, 128 * 8> cells_of{};
      uint8_t bad = 0;
      for (uint64_t i = 0; i < cells; ++i) {
        bad |= uint8_t(k[i] >= key_count) | uint8_t(t[i] > uint8_t(CellType::kComplex));
        ++cells_of[(k[i] & 127) * 8 + (t[i] & 7)];
      }
      if (bad) return false;
      for (uint32_t key = 0; key < key_count; ++key) {
        const uint32_t* of = &cells_of[key * 8];
        for (uint32_t i = 0; i < of[uint8_t(CellType::kComplex)]; ++i) {
          if (!in(kAttrComplex).GetLengthPrefixed(&unused)) return false;
        }
        per_key[0][key] += of[uint8_t(CellType::kString)];
        per_key[1][key] += of[uint8_t(CellType::kInt)];
        per_key[2][key] += of[uint8_t(CellType::kDouble)];
      }
    } else {
      for (uint64_t i = 0; i < cells; ++i) {
        uint32_t key;
        uint8_t type;
        if (!in(kAttrKeys).GetVarint32(&key) || key >= key_count ||
            !in(kAttrTypes).GetByte(&type) || type > uint8_t(CellType::kComplex)) {
          return false;
        }
        switch (static_cast<CellType>(type)) {
          case CellType::kString: ++per_key[0][key]; break;
          case CellType::kInt: ++per_key[1][key]; break;
          case CellType::kDouble: ++per_key[2][key]; break;
          case CellType::kComplex:
            if (!in(kAttrComplex).GetLengthPrefixed(&unused)) return false;
            break;
          default: break;
        }
      }
    }
    return true;
  }

  // A cell type's slot in PerKeyCells; -1: no stream of its own.
  static int TypeSlot(uint8_t type) {
    switch (static_cast<CellType>(type)) {
      case CellType::kString: return 0;
      case CellType::kInt: return 1;
      case CellType::kDouble: return 2;
      default: return -1;
    }
  }

  // Steps `key`'s stream of `type` over the cells of the rows stepped over
  // since it was last read (pending_), before a cell of it is read.
  bool Settle(uint32_t key, uint8_t type) {
    const int ty = TypeSlot(type);
    if (ty < 0 || pending_[ty][key] == 0) return true;
    return values_.SkipMany(key, static_cast<CellType>(type), std::exchange(pending_[ty][key], 0));
  }

  bool ResolveParents() {
    for (const auto& [row, position] : pending_parents_) {
      if (position >= trace_span_ids_.size()) return false;
      t_->parent_span_id[row] = trace_span_ids_[position];
    }
    return true;
  }

  // The predicate's attribute conditions in this group's terms: the
  // value's id in the key's dictionary, its int and bool forms. Without the
  // attribute columns, or for a key whose cells the read skips, nothing can
  // be judged and no condition is kept.
  struct Condition {
    uint32_t key = 0;
    std::optional<uint32_t> local;
    std::optional<int64_t> int_value;
    int8_t bool_value = -1;  // "true" 1, "false" 0, else -1
  };
  void CompileConditions() {
    if (keep_ == nullptr || !has(kAttrCounts) || !has(kAttrStrings)) return;
    for (const RowPredicate::AttributeEquals& a : keep_->attributes) {
      if (a.key >= t_->dicts().keys.size() || (!keys_.empty() && !keys_[a.key])) continue;
      Condition& c = conditions_.emplace_back();
      c.key = a.key;
      c.local = values_.LocalId(a.key, a.value);
      int64_t v;
      const char* end = a.value.data() + a.value.size();
      if (auto [at, error] = std::from_chars(a.value.data(), end, v);
          error == std::errc() && at == end) {
        c.int_value = v;
      }
      c.bool_value = a.value == "true" ? 1 : a.value == "false" ? 0 : -1;
    }
  }

  // Whether the row read into cells_ may pass every condition. A double,
  // complex or empty cell is never judged here: its string form is the
  // matcher's to compare.
  bool CellsMayMatch() const {
    for (const Condition& c : conditions_) {
      bool may = false;
      for (size_t i = 0; i < cells_.size() && !may; ++i) {
        const Cell& cell = cells_[i];
        if (cell.key != c.key) continue;
        switch (static_cast<CellType>(cell.type)) {
          case CellType::kString: may = c.local && cell.payload == *c.local; break;
          case CellType::kInt: may = c.int_value && int64_t(cell.payload) == *c.int_value; break;
          case CellType::kBoolFalse: may = c.bool_value == 0; break;
          case CellType::kBoolTrue: may = c.bool_value == 1; break;
          default: may = true; break;
        }
      }
      if (!may) return false;
    }
    return true;
  }

  // The keys and types of the next row's cells: its shape's (version 10),
  // or read cell by cell. False on damaged input.
  bool NextRowCells(std::span<const uint32_t>* keys, std::span<const uint8_t>* types) {
    if (by_shape_) {
      if (cell_row_ >= rows_) return false;
      const uint32_t shape = shapes_.ShapeOf(cell_row_++);
      *keys = shapes_.Keys(shape);
      *types = shapes_.Types(shape);
      return true;
    }
    uint64_t count;
    std::string_view type_bytes;
    if (!in(kAttrCounts).GetVarint(&count) || count > in(kAttrKeys).remaining() ||
        !in(kAttrTypes).GetBytes(count, &type_bytes)) {
      return false;
    }
    row_keys_.resize(count);
    for (uint32_t& key : row_keys_) {
      if (!in(kAttrKeys).GetVarint32(&key) || key >= t_->dicts().keys.size()) return false;
    }
    *keys = row_keys_;
    *types = std::span(reinterpret_cast<const uint8_t*>(type_bytes.data()), count);
    for (uint8_t type : *types) {
      if (type > uint8_t(CellType::kComplex)) return false;
    }
    return true;
  }

  // Calls f(key, type) for each cell of the next row; false on damaged
  // input or when f returns false.
  template <typename F>
  bool ForEachCellOfNextRow(F&& f) {
    std::span<const uint32_t> keys;
    std::span<const uint8_t> types;
    if (!NextRowCells(&keys, &types)) return false;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!f(keys[i], types[i])) return false;
    }
    return true;
  }

  // Reads the row's cells of the keys read into cells_: strings as their
  // key-local ids, complex values as views; nothing interned yet.
  bool ReadCells() {
    cells_.clear();
    if (!has(kAttrCounts)) return true;
    return ForEachCellOfNextRow([&](uint32_t key, uint8_t type) {
      std::string_view encoded;
      if (type == uint8_t(CellType::kComplex) && !in(kAttrComplex).GetLengthPrefixed(&encoded)) {
        return false;
      }
      // A key the reader does not look at: its typed values stay in its
      // own stream, untouched; complex values share one stream, stepped.
      if (!keys_.empty() && !keys_[key]) return true;
      if (!Settle(key, type)) return false;
      Cell& cell = cells_.emplace_back(Cell{key, type, 0, encoded});
      switch (static_cast<CellType>(type)) {
        case CellType::kString: {
          uint32_t local;
          bool ok = values_.NextString(key, &local);
          cell.payload = local;
          return ok;
        }
        case CellType::kInt: return values_.NextInt(key, &cell.payload);
        case CellType::kDouble: return values_.NextDouble(key, &cell.payload);
        default: return true;
      }
    });
  }

  // Appends the cells read to the table's row: strings interned, complex
  // values copied.
  bool CommitCells() {
    for (const Cell& cell : cells_) {
      uint64_t payload = cell.payload;
      if (cell.type == uint8_t(CellType::kString)) {
        uint32_t id;
        if (!values_.Intern(cell.key, static_cast<uint32_t>(cell.payload), t_, &id)) return false;
        payload = id;
      } else if (cell.type == uint8_t(CellType::kComplex)) {
        payload = t_->blobs.size();
        PutLengthPrefixed(&t_->blobs, cell.complex);
      }
      t_->attr_key.push_back(cell.key);
      t_->attr_type.push_back(cell.type);
      t_->attr_value.push_back(payload);
    }
    t_->attr_begin.push_back(static_cast<uint32_t>(t_->attr_key.size()));
    return true;
  }

  // Steps over a row not kept: the values of the keys read advance in
  // their streams, complex values in theirs, the row's extras.
  bool SkipCells() {
    if (has(kAttrCounts) && !ForEachCellOfNextRow([&](uint32_t key, uint8_t type) {
          std::string_view encoded;
          if (type == uint8_t(CellType::kComplex))
            return in(kAttrComplex).GetLengthPrefixed(&encoded);
          if (!keys_.empty() && !keys_[key]) return true;
          const int ty = TypeSlot(type);
          if (ty >= 0) ++pending_[ty][key];  // stepped over when next read
          return true;
        })) {
      return false;
    }
    std::string_view extras;
    return !has(kExtras) || in(kExtras).GetLengthPrefixed(&extras);
  }

  bool DecodeExtras() {
    if (!has(kExtras)) {
      t_->extras_begin.push_back(static_cast<uint32_t>(t_->extras.size()));
      return true;
    }
    std::string_view extras;
    if (!in(kExtras).GetLengthPrefixed(&extras)) return false;
    t_->extras.append(extras);
    t_->extras_begin.push_back(static_cast<uint32_t>(t_->extras.size()));
    return true;
  }

  const uint8_t version_;
  const ValueTables* tables_;
  const std::array<std::string_view, kColumnCount>& raw_;
  uint32_t rows_;
  uint64_t min_start_;
  uint64_t max_start_;  // the group's latest start (its max end before format 11)
  std::span<const TraceId> only_;
  ColumnMask columns_;
  const KeyMask& keys_;
  const RowPredicate* keep_;  // null: every row
  // The traces holding candidate rows read whole, keep_ not applied to
  // their rows (ReadTracesHolding).
  const bool whole_;
  bool narrowed_ = false;
  SpanTable* t_;
  std::array<std::unique_ptr<ByteReader>, kColumnCount> in_;
  AttributeColumnsReader values_;
  struct Cell {
    uint32_t key;
    uint8_t type;
    uint64_t payload;          // a string's key-local id, an int, a double's bits
    std::string_view complex;  // the encoded value of a complex cell
  };
  std::vector<Cell> cells_;  // the row being read
  // Version 10: the group's row shapes, and the next row whose cells are
  // read or stepped over.
  const bool by_shape_ = version_ >= kRowShapesVersion && has(kAttrCounts);
  RowShapesReader shapes_;
  uint32_t cell_row_ = 0;
  std::vector<uint32_t> shape_rows_;  // per shape, rows stepped over
  std::vector<uint32_t> row_keys_;    // versions 1-9: the row's keys, decoded
  std::vector<Condition> conditions_;
  // Per key and type (string, int, double), cells of rows stepped over not
  // yet stepped over in the key's stream (sized when the group's attribute
  // columns are read).
  PerKeyCells pending_;
  std::vector<SpanId> trace_span_ids_;                          // of the trace being read
  std::vector<std::pair<uint32_t, uint64_t>> pending_parents_;  // (table row, position in trace)
  // Version 2 times, and the next of each to use.
  BitPackedView first_starts_, start_deltas_, durations_;
  struct Op {
    uint32_t service = 0, name = 0, origin = 0;
    uint8_t kind = 0;
  };
  std::vector<Op> ops_;  // version 2
  size_t next_first_ = 0, next_delta_ = 0, next_row_ = 0;
};

// A block's name in messages: a row group's column, (column -1) the
// attribute index, or (kValueChunk) a value table's chunk.
constexpr int kValueChunk = -2, kValuePostings = -3;
std::string BlockName(size_t group, int column) {
  if (column == kValueChunk) return fmt::format("value table chunk {}", group);
  if (column == kValuePostings) return fmt::format("postings of value table chunk {}", group);
  if (column < 0) return "attribute index";
  return fmt::format("row group {} column {}", group, kColumnNames[column]);
}

}  // namespace

Result<std::shared_ptr<SegmentReader>> SegmentReader::Open(const std::string& path) {
  // The shared caches are memory the memory_limiter may take back.
  static Reclaimable caches([] { return DropSharedCaches(); });
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(fmt::format("{}: {}", path, std::strerror(errno)));
  std::shared_ptr<SegmentReader> reader(new SegmentReader(path, fd));
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::Unavailable(fmt::format("{}: stat failed", path));
  reader->file_bytes_ = static_cast<uint64_t>(st.st_size);
  if (reader->file_bytes_ < sizeof(kSegmentMagic) + kSegmentTrailerSize) {
    return Status::InvalidArgument(
        fmt::format("{}: too short for a segment ({} bytes)", path, st.st_size));
  }
  std::string head, trailer;
  if (Status s = PRead(fd, 0, sizeof(kSegmentMagic), &head, path); !s.ok()) return s;
  if (std::memcmp(head.data(), kSegmentMagic, 5) != 0) {
    return Status::InvalidArgument(fmt::format("{}: not a polytrace segment (bad magic)", path));
  }
  if (Status s =
          PRead(fd, reader->file_bytes_ - kSegmentTrailerSize, kSegmentTrailerSize, &trailer, path);
      !s.ok()) {
    return s;
  }
  if (std::memcmp(trailer.data() + 24, kSegmentEndMagic, 8) != 0) {
    return Status::InvalidArgument(fmt::format("{}: trailer damaged (bad end magic)", path));
  }
  uint64_t footer_offset = DecodeFixed64(trailer.data());
  uint32_t footer_size = DecodeFixed32(trailer.data() + 8);
  uint32_t raw_size = DecodeFixed32(trailer.data() + 12);
  uint32_t crc = DecodeFixed32(trailer.data() + 16);
  if (footer_offset + footer_size + kSegmentTrailerSize != reader->file_bytes_) {
    return Status::InvalidArgument(fmt::format("{}: trailer damaged (footer bounds)", path));
  }
  std::string compressed;
  if (Status s = PRead(fd, footer_offset, footer_size, &compressed, path); !s.ok()) return s;
  if (Crc32c(compressed) != crc) {
    return Status::InvalidArgument(fmt::format("{}: footer checksum mismatch (bytes {}..{})", path,
                                               footer_offset, footer_offset + footer_size));
  }
  // The size is allocated before decompressing: it must be the one the zstd
  // frame declares, not whatever a damaged trailer says (4 GB, found by fuzzing).
  if (ZSTD_getFrameContentSize(compressed.data(), compressed.size()) != raw_size) {
    return Status::InvalidArgument(fmt::format("{}: footer size does not match its frame", path));
  }
  std::string raw(raw_size, '\0');
  size_t n = ZSTD_decompressDCtx(ThreadDecompressor(), raw.data(), raw.size(), compressed.data(),
                                 compressed.size());
  if (ZSTD_isError(n) || n != raw_size) {
    return Status::InvalidArgument(fmt::format("{}: footer does not decompress", path));
  }
  if (Status s = DecodeFooter(raw, path, &reader->footer_); !s.ok()) return s;
  reader->tables_.Index();
  // A segment never changes once written: blocks stored as they are are
  // read in place (InPlace). Without a mapping, every block is read.
  void* mapped = ::mmap(nullptr, reader->file_bytes_, PROT_READ, MAP_SHARED, fd, 0);
  if (mapped != MAP_FAILED) reader->mapped_ = static_cast<const char*>(mapped);
  reader->in_place_ = std::make_unique<std::atomic<uint64_t>[]>(reader->footer_.row_groups.size());
  if (reader->footer_.version < 11) {
    if (Status s = reader->FindLatestStarts(); !s.ok()) return s;
  }
  return reader;
}

// Before version 11 a row group recorded no latest start, and max_end
// stood for it; but a span whose clock is skewed ends before it starts, so
// its start may lie after every end of its group, and a search by start
// ruled the group out (a wrong answer). Such segments have their starts
// read once at open, with the columns a search reads (final merges are
// never rewritten, so this is paid at each start).
Status SegmentReader::FindLatestStarts() {
  PrivateReads private_reads;
  SegmentMeta& meta = footer_.meta;
  meta.max_start = 0;
  for (size_t g = 0; g < footer_.row_groups.size(); ++g) {
    Result<SpanTable> t = ReadRowGroup(g, {}, kSearchColumns);
    if (!t.ok()) return t.status();
    RowGroupInfo& rg = footer_.row_groups[g];
    rg.max_start = rg.min_start;
    for (uint64_t start : t->start) rg.max_start = std::max(rg.max_start, start);
    meta.max_start = std::max(meta.max_start, rg.max_start);
  }
  return Status::Ok();
}

SegmentReader::~SegmentReader() {
  tables_.Forget();
  const uint64_t id = id_;
  SharedBlocks().EraseIf([id](const BlockKey& k) { return std::get<0>(k) == id; });
  if (mapped_ != nullptr) ::munmap(const_cast<char*>(mapped_), file_bytes_);
  ::close(fd_);
}

size_t SegmentReader::WarmValueTables() const { return tables_.Warm(); }

size_t SegmentReader::SharedValueBytes() { return Values::SharedBytes(); }

size_t SegmentReader::SharedColumnBytes() { return SharedBlocks().bytes(); }

size_t SegmentReader::DropSharedCaches() {
  return SharedBlocks().EraseIf([](const BlockKey&) { return true; }) + Values::DropShared();
}

Result<std::string> SegmentReader::ReadBlock(const ColumnBlock& block, size_t group,
                                             int column) const {
  std::string raw;
  if (Status s = ReadBlockInto(block, group, column, &raw); !s.ok()) return s;
  return raw;
}

Status SegmentReader::ReadBlockInto(const ColumnBlock& block, size_t group, int column,
                                    std::string* raw) const {
  // The compressed bytes in a buffer kept per thread: a fresh one per
  // block was a page fault per 4 KiB of every search.
  thread_local std::string compressed;
  if (Status s = CheckInFile(block, group, column); !s.ok()) return s;
  if (Status s = PRead(fd_, block.offset, block.size, &compressed, path_); !s.ok()) return s;
  return DecompressBlock(block, compressed, group, column, raw);
}

Status SegmentReader::CheckInFile(const ColumnBlock& block, size_t group, int column) const {
  if (block.offset > file_bytes_ || block.size > file_bytes_ - block.offset) {
    return Status::InvalidArgument(
        fmt::format("{}: {} lies outside the file", path_, BlockName(group, column)));
  }
  return Status::Ok();
}

Status SegmentReader::DecompressBlock(const ColumnBlock& block, std::string_view compressed,
                                      size_t group, int column, std::string* raw) const {
  if (StoredRaw(column) && block.size == 0 && block.raw_size == 0) {  // none (or before version 9)
    raw->clear();
    return Status::Ok();
  }
  if (Crc32c(compressed) != block.crc) {
    return Status::InvalidArgument(fmt::format("{}: checksum mismatch in {} (bytes {}..{})", path_,
                                               BlockName(group, column), block.offset,
                                               block.offset + block.size));
  }
  if (StoredRaw(column)) {
    if (footer_.version < 9 || block.raw_size != block.size) {
      return Status::InvalidArgument(
          fmt::format("{}: {} is not stored as it is", path_, BlockName(group, column)));
    }
    raw->assign(compressed);
    return Status::Ok();
  }
  if (ZSTD_getFrameContentSize(compressed.data(), compressed.size()) != block.raw_size) {
    return Status::InvalidArgument(
        fmt::format("{}: {} size does not match its frame", path_, BlockName(group, column)));
  }
  raw->resize(block.raw_size);
  size_t n = ZSTD_decompressDCtx(ThreadDecompressor(), raw->data(), raw->size(), compressed.data(),
                                 compressed.size());
  if (ZSTD_isError(n) || n != block.raw_size) {
    return Status::InvalidArgument(
        fmt::format("{}: {} does not decompress", path_, BlockName(group, column)));
  }
  return Status::Ok();
}

Result<std::optional<std::string_view>> SegmentReader::InPlace(size_t group, int column) const {
  if (mapped_ == nullptr) return std::optional<std::string_view>();
  const ColumnBlock& block = footer_.row_groups[group].columns[column];
  const uint64_t in_place = uint64_t(1) << column, not_in_place = in_place << 32;
  std::atomic<uint64_t>& known = in_place_[group];
  const uint64_t was = known.load(std::memory_order_acquire);
  if (was & not_in_place) return std::optional<std::string_view>();
  if (Status s = CheckInFile(block, group, column); !s.ok()) return s;
  const std::string_view bytes(mapped_ + block.offset, block.size);
  std::optional<std::string_view> content;
  if (StoredRaw(column) && footer_.version >= 9 && block.raw_size == block.size) {
    content = bytes;
  } else if (!StoredRaw(column)) {
    content = RawFrameContent(bytes, block.raw_size);
  }
  if (!content) {
    known.fetch_or(not_in_place, std::memory_order_acq_rel);
    return content;
  }
  // Verified once (a check, every time): the mapping is the file.
  if (!(was & in_place) || PrivateReads::active()) {
    if (block.size > 0 && Crc32c(bytes) != block.crc) {
      return Status::InvalidArgument(fmt::format("{}: checksum mismatch in {} (bytes {}..{})",
                                                 path_, BlockName(group, column), block.offset,
                                                 block.offset + block.size));
    }
    known.fetch_or(in_place, std::memory_order_acq_rel);
  }
  return content;
}

// Decompressed columns (a table copies what it keeps) in a front per thread
// before the shared cache. The front keeps the last groups read, each
// knowing which segment's group it holds, so reading a group again on this
// thread takes no lock and decompresses only the columns the earlier read
// skipped: a search's probe of a group's strings, then its read of the
// group; the search's reads, then the fetch of the traces it found. A probe
// (`read` false) takes the oldest slot and leaves it the first to go, so
// probing many groups does not push out the groups a search read. Behind
// it, the blocks any thread decompressed are shared (as a block cache of an
// LSM tree): the searches of one user, asked again and again or on another
// thread, and the traces they open, decompress each block once.
Status SegmentReader::HeldColumns(size_t index, ColumnMask mask, bool read,
                                  std::array<std::string_view, kColumnCount>* columns) const {
  struct Held {
    uint64_t reader = 0;  // no reader has id 0
    size_t group = 0;
    uint64_t used = 0;  // when last read (0: only probed), for replacing the oldest
    std::array<std::shared_ptr<const std::string>, kColumnCount> blocks;
    std::array<std::string_view, kColumnCount> views;  // into blocks, or the file's mapping
    ColumnMask valid = 0;
  };
  constexpr size_t kHeldGroups = 16, kMaxHeldBytes = 2 << 20;
  thread_local std::array<Held, kHeldGroups> held;
  thread_local uint64_t clock = 0;
  Held* slot = &held[0];
  for (Held& h : held) {
    if (h.reader == id_ && h.group == index) {
      slot = &h;
      break;
    }
    if (h.used < slot->used) slot = &h;
  }
  // The oldest taken over; and under PrivateReads (a check, a compaction)
  // every block is read from the file again, even one this thread holds.
  if (slot->reader != id_ || slot->group != index || PrivateReads::active()) {
    // Bounded: a group of large spans is not kept once another is read.
    for (Held& h : held) {
      size_t bytes = 0;
      for (const auto& b : h.blocks) bytes += b ? b->capacity() : 0;
      if (bytes > kMaxHeldBytes) h = Held{};
    }
    *slot = Held{};
    slot->reader = id_;
    slot->group = index;
  }
  if (read) slot->used = ++clock;
  // Blocks stored as they are (InPlace) are views into the file's mapping:
  // nothing copied, no memory of the process's own. Not for a read passing
  // over many groups once (a big trace streamed), nor for a compaction or a
  // check, which read every block: the pages they touch would stay in the
  // process's resident set while the segment is open (a 100M-span store's
  // final merge held 1 GB of them).
  const bool in_place = !PassingReads::active() && !PrivateReads::active();
  for (int c = 0; c < kColumnCount && in_place; ++c) {
    ColumnMask bit = ColumnBit(static_cast<Column>(c));
    if (!(mask & bit) || (slot->valid & bit)) continue;
    Result<std::optional<std::string_view>> in_place = InPlace(index, c);
    if (!in_place.ok()) return in_place.status();
    if (!*in_place) continue;
    slot->views[c] = **in_place;
    slot->valid |= bit;
  }
  // What another thread (or an earlier read here) decompressed is shared;
  // private reads (a check, a compaction) read and verify the file.
  auto& shared = SharedBlocks();
  const bool share = !PrivateReads::active();
  for (int c = 0; share && c < kColumnCount; ++c) {
    ColumnMask bit = ColumnBit(static_cast<Column>(c));
    if (!(mask & bit) || (slot->valid & bit)) continue;
    if (auto block = shared.Find({id_, static_cast<uint32_t>(index), c})) {
      slot->blocks[c] = std::move(block);
      slot->views[c] = *slot->blocks[c];
      slot->valid |= bit;
    }
  }
  const RowGroupInfo& info = footer_.row_groups[index];
  // The columns to read, in file order, read in runs of neighbours: one
  // read per run (a read per column was a tenth of a user-ID search, in
  // syscalls), but not across the columns already held (reading them again
  // was a fifth of fetching the traces a search found, copying pages).
  constexpr uint64_t kJoinGap = 4 << 10;
  std::array<int, kColumnCount> order;
  int missing = 0;
  for (int c = 0; c < kColumnCount; ++c) {
    ColumnMask bit = ColumnBit(static_cast<Column>(c));
    if (!(mask & bit) || (slot->valid & bit)) continue;
    if (Status s = CheckInFile(info.columns[c], index, c); !s.ok()) return s;
    order[missing++] = c;
  }
  std::sort(order.begin(), order.begin() + missing,
            [&](int a, int b) { return info.columns[a].offset < info.columns[b].offset; });
  thread_local std::string together;
  for (int i = 0; i < missing;) {
    const ColumnBlock& first = info.columns[order[i]];
    uint64_t begin = first.offset, end = first.offset + first.size;
    int j = i + 1;
    while (j < missing && info.columns[order[j]].offset <= end + kJoinGap) {
      end = std::max(end, info.columns[order[j]].offset + info.columns[order[j]].size);
      ++j;
    }
    const bool run = j - i > 1;
    if (run) {
      if (Status s = PRead(fd_, begin, end - begin, &together, path_); !s.ok()) return s;
    }
    for (; i < j; ++i) {
      const int c = order[i];
      const ColumnBlock& block = info.columns[c];
      auto fresh = std::make_shared<std::string>();
      Status s =
          run && block.size > 0
              ? DecompressBlock(block,
                                std::string_view(together).substr(block.offset - begin, block.size),
                                index, c, fresh.get())
              : ReadBlockInto(block, index, c, fresh.get());
      if (!s.ok()) return s;
      const size_t bytes = fresh->capacity();
      slot->blocks[c] =
          share && !PassingReads::active()
              ? shared.Insert({id_, static_cast<uint32_t>(index), c}, std::move(fresh), bytes)
              : std::move(fresh);
      slot->views[c] = *slot->blocks[c];
      slot->valid |= ColumnBit(static_cast<Column>(c));
    }
  }
  for (int c = 0; c < kColumnCount; ++c) {
    if (mask & ColumnBit(static_cast<Column>(c))) (*columns)[c] = slot->views[c];
  }
  return Status::Ok();
}

Result<SpanTable> SegmentReader::ReadRowGroup(size_t index, std::span<const TraceId> only,
                                              ColumnMask mask, const KeyMask& keys,
                                              const RowPredicate* rows) const {
  const RowGroupInfo& info = footer_.row_groups[index];
  std::array<std::string_view, kColumnCount> columns{};
  // Parents by position need the span IDs of their trace.
  if (mask & ColumnBit(kParents)) mask |= ColumnBit(kSpanIds) | ColumnBit(kParentIds);
  // Strings come from both string columns (version 9).
  if (mask & ColumnBit(kAttrStrings)) mask |= ColumnBit(kAttrPacked);
  if (Status s = HeldColumns(index, mask, /*read=*/true, &columns); !s.ok()) return s;
  SpanTable table(footer_.dicts);
  // A whole group's rows (a search's read) are known in number: no vector
  // regrows row by row (kAttrTypes holds a byte per cell; from version 10
  // the decoder reserves from the row shapes).
  if (only.empty() && rows == nullptr && footer_.version < kRowShapesVersion) {
    table.Reserve(info.rows, keys.empty() ? columns[kAttrTypes].size() : info.rows);
  }
  if (!RowGroupDecoder(footer_.version, &tables_, columns, info.rows, info.min_start,
                       info.max_start, only, mask, keys, rows, &table)
           .Decode()) {
    return Status::InvalidArgument(
        fmt::format("{}: row group {} has inconsistent columns", path_, index));
  }
  return table;
}

Result<std::optional<SpanTable>> SegmentReader::ReadTracesHolding(size_t index,
                                                                  const RowPredicate& rows) const {
  const RowGroupInfo& info = footer_.row_groups[index];
  std::array<std::string_view, kColumnCount> columns{};
  if (Status s = HeldColumns(index, kAllColumns, /*read=*/true, &columns); !s.ok()) return s;
  SpanTable table(footer_.dicts);
  const KeyMask every_key;
  RowGroupDecoder decoder(footer_.version, &tables_, columns, info.rows, info.min_start,
                          info.max_start, {}, kAllColumns, every_key, &rows, &table,
                          /*whole=*/true);
  if (!decoder.Decode()) {
    return Status::InvalidArgument(
        fmt::format("{}: row group {} has inconsistent columns", path_, index));
  }
  if (!decoder.narrowed()) return std::optional<SpanTable>();
  return std::optional<SpanTable>(std::move(table));
}

Result<bool> SegmentReader::MayHaveStringValue(size_t index, std::string_view key,
                                               std::string_view value, bool events) const {
  const RowGroupInfo& info = footer_.row_groups[index];
  // Arrays, maps and bytes match by a string form that no dictionary holds.
  if (info.columns[kAttrComplex].raw_size > 0) return true;
  std::optional<uint32_t> key_id = footer_.dicts->keys.Find(key);
  if (key_id) {
    // The dictionary's layout is AttributeColumnsReader's to know: a parser
    // of its own here once missed a format change and pruned every group.
    auto damaged = [&] {
      return Status::InvalidArgument(
          fmt::format("{}: row group {} has a damaged string dictionary", path_, index));
    };
    const uint32_t keys = static_cast<uint32_t>(footer_.dicts->keys.size());
    std::array<std::string_view, kColumnCount> columns{};
    AttributeColumnsReader values;
    bool holds = false, judged = false;
    // A user ID's codes (version 9) are read as they lie in the file: a few
    // KiB, nothing decompressed (the group's strings column was 40% of
    // such a search).
    if (info.columns[kAttrPacked].size > 0) {
      if (Status s = HeldColumns(index, ColumnBit(kAttrPacked), /*read=*/false, &columns); !s.ok())
        return s;
      if (!values.ParsePacked(columns[kAttrPacked], keys, footer_.version, &tables_)) {
        return damaged();
      }
      if (values.InPacked(*key_id)) {
        if (!values.StringsHold(*key_id, value, &holds)) return damaged();
        judged = true;
      }
    }
    if (!judged) {
      // The ids of value-table strings (version 6) are in the cells' column.
      ColumnMask mask = ColumnBit(kStringDict) | ColumnBit(kAttrPacked) |
                        (footer_.version >= 6 ? ColumnBit(kAttrStrings) : 0);
      if (Status s = HeldColumns(index, mask, /*read=*/false, &columns); !s.ok()) return s;
      if (!values.ParseStrings(columns[kAttrStrings], columns[kStringDict], keys, footer_.version,
                               &tables_, columns[kAttrPacked]) ||
          !values.StringsHold(*key_id, value, &holds)) {
        return damaged();
      }
    }
    if (holds) return true;
  }
  // Event attributes (Jaeger's log fields) match too: decode the events.
  if (!events || !(info.extras & kExtrasEvents)) return false;
  Result<std::string> extras = ReadBlock(info.columns[kExtras], index, kExtras);
  if (!extras.ok()) return extras.status();
  if (std::string_view(*extras).find(value) == std::string_view::npos &&
      std::string_view(*extras).find(key) == std::string_view::npos) {
    return false;  // neither the key nor the value occurs in any event
  }
  ByteReader in(*extras);
  while (!in.done()) {
    std::string_view one;
    if (!in.GetLengthPrefixed(&one)) return true;
    Arena scratch;
    Span span;
    if (!DecodeSpanExtras(one, scratch, &span)) return true;
    for (const SpanEvent& e : span.events) {
      const AnyValue* v = FindAttribute(e.attributes, key);
      if (v != nullptr && ValueToString(*v) == value) return true;
    }
  }
  return false;
}

Result<bool> SegmentReader::ExtrasMayContain(size_t index, std::string_view bytes) const {
  Result<std::string> extras =
      ReadBlock(footer_.row_groups[index].columns[kExtras], index, kExtras);
  if (!extras.ok()) return extras.status();
  return std::string_view(*extras).find(bytes) != std::string_view::npos;
}

Result<std::vector<TraceId>> SegmentReader::ReadTraceIds(size_t index) const {
  Result<std::string> raw =
      ReadBlock(footer_.row_groups[index].columns[kTraceRuns], index, kTraceRuns);
  if (!raw.ok()) return raw.status();
  std::vector<TraceId> ids;
  ByteReader in(*raw);
  while (!in.done()) {
    std::string_view id;
    uint64_t count;
    if (!in.GetBytes(16, &id) || !in.GetVarint(&count)) {
      return Status::InvalidArgument(
          fmt::format("{}: row group {} has a damaged trace ID column", path_, index));
    }
    std::memcpy(ids.emplace_back().bytes.data(), id.data(), 16);
  }
  return ids;
}

Result<std::shared_ptr<const AttributeIndex>> SegmentReader::ReadAttributeIndex() const {
  if (footer_.version < 4) return std::shared_ptr<const AttributeIndex>();
  std::lock_guard lock(index_mu_);
  if (index_) return index_;
  Result<std::string> raw = ReadBlock(footer_.attribute_index, 0, -1);
  if (!raw.ok()) return raw.status();
  auto index = std::make_shared<AttributeIndex>();
  if (!AttributeIndex::Decode(*raw, footer_.row_groups.size(), footer_.version >= 5, index.get())) {
    return Status::InvalidArgument(fmt::format("{}: attribute index damaged", path_));
  }
  index_ = std::move(index);
  return index_;
}

std::shared_ptr<const SegmentReader::KeyValues> SegmentReader::RememberedValues(
    std::string_view key) const {
  std::lock_guard lock(index_mu_);
  auto it = value_memo_.find(std::string(key));
  return it == value_memo_.end() ? nullptr : it->second;
}

void SegmentReader::RememberValues(std::string_view key,
                                   std::shared_ptr<const KeyValues> values) const {
  size_t bytes = key.size();
  for (const auto& [value, type] : values->values) bytes += value.size() + type.size();
  std::lock_guard lock(index_mu_);
  // Keys a client made up are never here (the caller keeps only keys the
  // segment holds), so the memo is bounded by the segment's own keys.
  if (value_memo_bytes_ + bytes > kValueMemoBytes) return;
  auto [it, fresh] = value_memo_.try_emplace(std::string(key), values);
  if (!fresh) {
    if (it->second->complete || !values->complete) return;
    it->second = std::move(values);  // the first ones' bytes stay counted: a bound, not a tally
  }
  value_memo_bytes_ += bytes;
}

Status SegmentReader::CheckValueGroups(size_t group, const SpanTable& t,
                                       ValueGroupsCheck* check) const {
  // Every string a span of the group holds, in a key with postings, must
  // lead to the group: postings that miss one give wrong answers. The
  // tables are read whole once (a lookup per string would scan them).
  if (!check->loaded) {
    check->loaded = true;
    for (const ValueTable& table : footer_.value_tables) {
      if (table.postings_shift == kNoPostings) continue;
      auto& ids = check->ids[table.key];
      for (uint32_t id = 0; id < table.values; ++id) {
        std::string_view value;
        std::vector<uint32_t> groups, services;
        bool read = tables_.Get(table.key, id, &value);
        if (read) ids.emplace(std::string(value), id);  // the view lasts until the next lookup
        if (!read || !tables_.Postings(table.key, id, std::nullopt, &groups, &services)) {
          return Status::InvalidArgument(
              fmt::format("{}: the value table of key {} is damaged", path_, table.key));
        }
        for (size_t i = 0; i < groups.size(); ++i) {
          check->postings.insert({table.key, id, services[i], groups[i]});
        }
      }
    }
  }
  for (uint32_t row = 0; row < t.rows(); ++row) {
    for (uint32_t c = t.AttrBegin(row); c < t.AttrEnd(row); ++c) {
      if (t.attr_type[c] != uint8_t(CellType::kString)) continue;
      auto table = check->ids.find(t.attr_key[c]);
      if (table == check->ids.end()) continue;
      const ValueTable* vt = tables_.TableOf(t.attr_key[c]);
      if (group >= vt->first_dictionary_group) continue;  // a dictionary of its own
      std::string_view value = t.strings.Get(uint32_t(t.attr_value[c]));
      auto id = table->second.find(std::string(value));
      if (id == table->second.end() ||
          !check->postings.contains({t.attr_key[c], id->second, t.service[row], uint32_t(group)})) {
        return Status::InvalidArgument(fmt::format("{}: value postings miss row group {} for {}={}",
                                                   path_, group,
                                                   footer_.dicts->keys.Get(t.attr_key[c]), value));
      }
    }
  }
  return Status::Ok();
}

Result<std::optional<std::vector<uint32_t>>> SegmentReader::ValueGroups(
    std::string_view key, std::string_view value, std::string_view service) const {
  std::optional<uint32_t> key_id = footer_.dicts->keys.Find(key);
  const ValueTable* table = key_id ? tables_.TableOf(*key_id) : nullptr;
  if (table == nullptr || table->postings_shift == kNoPostings) return std::nullopt;
  auto damaged = [&] {
    return Status::InvalidArgument(fmt::format("{}: the value table of {} is damaged", path_, key));
  };
  std::vector<uint32_t> groups;
  std::optional<uint32_t> service_id;
  if (!service.empty()) service_id = footer_.dicts->services.Find(service);
  if (service.empty() || service_id) {
    std::optional<uint32_t> id;
    if (!tables_.Find(*key_id, value, &id)) return damaged();
    if (id && !tables_.Postings(*key_id, *id, service_id, &groups)) return damaged();
  }
  for (uint32_t g = table->first_dictionary_group; g < footer_.row_groups.size(); ++g) {
    groups.push_back(g);
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

Status SegmentReader::Check() const {
  PrivateReads private_reads;  // every chunk once: not for the shared cache
  if (Status st = tables_.Check(); !st.ok()) return st;
  Result<std::shared_ptr<const AttributeIndex>> index = ReadAttributeIndex();
  if (!index.ok()) return index.status();
  ValueGroupsCheck value_groups;
  for (size_t g = 0; g < footer_.row_groups.size(); ++g) {
    Result<SpanTable> table = ReadRowGroup(g);
    if (!table.ok()) return table.status();
    if (table->rows() != footer_.row_groups[g].rows) {  // read in full: every row kept
      return Status::InvalidArgument(fmt::format("{}: row group {} holds {} rows, footer says {}",
                                                 path_, g, table->rows(),
                                                 footer_.row_groups[g].rows));
    }
    if (Status st = CheckValueGroups(g, *table, &value_groups); !st.ok()) return st;
    if (*index == nullptr) continue;
    // Every (key, value) the group holds must be one the index leads to:
    // an index that rules out a group holding a match gives wrong answers.
    std::vector<uint32_t> rows(table->rows());
    for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
    GroupAttributes attributes;
    CollectAttributes(*table, *table, rows, nullptr, &attributes);
    for (const auto& [key, value] : attributes.pairs) {
      AttributeIndex::Candidates c = (*index)->Find(key, value);
      if (!std::binary_search(c.groups.begin(), c.groups.end(), uint32_t(g))) {
        return Status::InvalidArgument(
            fmt::format("{}: attribute index misses row group {} for {}={}", path_, g, key, value));
      }
    }
    for (const std::string& key : attributes.event_keys) {
      AttributeIndex::Candidates c = (*index)->Find(key, "");
      if (!std::binary_search(c.on_events.begin(), c.on_events.end(), uint32_t(g))) {
        return Status::InvalidArgument(fmt::format(
            "{}: attribute index misses row group {} for events with {}", path_, g, key));
      }
    }
    if (!(*index)->per_service()) continue;
    // And so must each service's entries, for that service's spans.
    for (const auto& [service, set] : attributes.by_service) {
      for (const auto& [key, value] : set.pairs) {
        AttributeIndex::Candidates c = (*index)->FindForService(service, key, value);
        if (!std::binary_search(c.groups.begin(), c.groups.end(), uint32_t(g))) {
          return Status::InvalidArgument(
              fmt::format("{}: attribute index misses row group {} for {}={} on {}'s spans", path_,
                          g, key, value, service));
        }
      }
      for (const std::string& key : set.event_keys) {
        AttributeIndex::Candidates c = (*index)->FindForService(service, key, "");
        if (!std::binary_search(c.on_events.begin(), c.on_events.end(), uint32_t(g))) {
          return Status::InvalidArgument(fmt::format(
              "{}: attribute index misses row group {} for events with {} on {}'s spans", path_, g,
              key, service));
        }
      }
    }
  }
  return Status::Ok();
}

void SegmentReader::Values::Index() {
  const SegmentFooter& f = reader_->footer_;
  by_key_.assign(f.dicts->keys.size(), -1);
  for (size_t i = 0; i < f.value_tables.size(); ++i) {
    by_key_[f.value_tables[i].key] = static_cast<int32_t>(i);
  }
}

const ValueTable* SegmentReader::Values::TableOf(uint32_t key) const {
  if (key >= by_key_.size() || by_key_[key] < 0) return nullptr;
  return &reader_->footer_.value_tables[by_key_[key]];
}

uint32_t SegmentReader::Values::Size(uint32_t key) const {
  const ValueTable* t = TableOf(key);
  return t == nullptr ? 0 : t->values;
}

namespace {

// Steps over one string's postings in a chunk, checking them: services in
// the segment's dictionary, blocks ascending and within the groups.
bool SkipPostings(ByteReader& in, size_t services, size_t groups, uint8_t shift) {
  uint64_t n;
  if (!in.GetVarint(&n) || n > in.remaining()) return false;
  uint64_t kinds = std::max<uint64_t>(1, services), block = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t v;
    if (!in.GetVarint(&v)) return false;
    block += v / kinds;
    if (v % kinds >= services || groups == 0 || block > ((groups - 1) >> shift)) return false;
  }
  return true;
}

}  // namespace

namespace {

// The value-table chunks every thread shares, by (reader id, key id, chunk,
// whether it is the chunk's postings block rather than its strings).
using ChunkKey = std::tuple<uint64_t, uint32_t, size_t, bool>;

}  // namespace

template <typename Held>
static SharedLru<ChunkKey, Held>& SharedChunks() {
  static auto* cache = new SharedLru<ChunkKey, Held>(SegmentReader::kSharedValueBytes);
  return *cache;
}

const SegmentReader::Values::Parsed* SegmentReader::Values::Chunk(const ValueTable& t, size_t c,
                                                                  Status* error) const {
  return Cached(t, c, /*postings=*/false, error);
}

const SegmentReader::Values::Parsed* SegmentReader::Values::Cached(const ValueTable& t, size_t c,
                                                                   bool postings,
                                                                   Status* error) const {
  // A front per thread, up to kFrontBytes, before the shared cache: a row
  // group read in full (compaction, a check) meets a user ID from every
  // chunk of the table, and asks for a chunk once per cell. Past the bound
  // the front starts afresh (the shared cache keeps what it keeps).
  constexpr size_t kFrontBytes = 16 << 20;
  thread_local absl::flat_hash_map<ChunkKey, std::shared_ptr<const HeldChunk>> front;
  thread_local size_t front_bytes = 0;
  ChunkKey at{reader_->id_, t.key, c, postings};
  if (auto it = front.find(at); it != front.end()) return &it->second->parsed;
  auto& shared = SharedChunks<HeldChunk>();
  const bool share = !PrivateReads::active();
  std::shared_ptr<const HeldChunk> held = share ? shared.Find(at) : nullptr;
  if (held == nullptr) {
    std::shared_ptr<HeldChunk> loaded = Load(t, c, postings, error);
    if (loaded == nullptr) return nullptr;
    const size_t bytes = loaded->bytes();
    held = share ? shared.Insert(at, std::move(loaded), bytes) : std::move(loaded);
  }
  if (front_bytes + held->bytes() > kFrontBytes) {
    front.clear();
    front_bytes = 0;
  }
  front_bytes += held->bytes();
  return &front.emplace(at, std::move(held)).first->second->parsed;
}

size_t SegmentReader::Values::Warm() const {
  auto& shared = SharedChunks<HeldChunk>();
  size_t loaded = 0;
  for (const ValueTable& t : reader_->footer_.value_tables) {
    for (size_t c = 0; c < t.chunks.size(); ++c) {
      for (bool postings : {false, true}) {
        if (postings && t.chunks[c].postings.size == 0) continue;  // none, or before version 8
        if (shared.Full()) return loaded;
        ChunkKey at{reader_->id_, t.key, c, postings};
        if (shared.Find(at) != nullptr) continue;
        std::shared_ptr<HeldChunk> held = Load(t, c, postings, nullptr);
        if (held == nullptr) return loaded;  // damaged: reported when a read meets it
        const size_t bytes = held->bytes();
        shared.Insert(at, std::move(held), bytes);
        ++loaded;
      }
    }
  }
  return loaded;
}

size_t SegmentReader::Values::SharedBytes() { return SharedChunks<HeldChunk>().bytes(); }

size_t SegmentReader::Values::DropShared() {
  return SharedChunks<HeldChunk>().EraseIf([](const ChunkKey&) { return true; });
}

void SegmentReader::Values::Forget() const {
  const uint64_t id = reader_->id_;
  SharedChunks<HeldChunk>().EraseIf([id](const ChunkKey& k) { return std::get<0>(k) == id; });
}

std::shared_ptr<SegmentReader::Values::HeldChunk> SegmentReader::Values::Load(const ValueTable& t,
                                                                              size_t c,
                                                                              bool postings,
                                                                              Status* error) const {
  auto fresh = std::make_shared<HeldChunk>();
  HeldChunk* slot = fresh.get();
  if (postings) {  // version 8: the lists of the chunk's strings, in `parsed.postings`
    if (!PostingsLists(t, c, &slot->raw, &slot->parsed.postings, error)) return nullptr;
    return fresh;
  }
  const ValueChunk& chunk = t.chunks[c];
  uint32_t end = c + 1 < t.chunks.size() ? t.chunks[c + 1].first : t.values;
  uint32_t n = end - chunk.first;
  // Each string takes at least its length byte: a count beyond the chunk's
  // size is damage, not an allocation to make.
  Status st =
      n > chunk.block.raw_size
          ? Status::InvalidArgument(fmt::format("{}: {} is too small for its {} strings",
                                                reader_->path_, BlockName(c, kValueChunk), n))
          : reader_->ReadBlockInto(chunk.block, c, kValueChunk, &slot->raw);
  if (st.ok()) {
    ByteReader in(slot->raw);
    Parsed& p = slot->parsed;
    p.strings.resize(n);
    bool parsed = true;
    for (std::string_view& v : p.strings) parsed = parsed && in.GetLengthPrefixed(&v);
    if (parsed && t.postings_shift != kNoPostings && reader_->footer_.version < 8) {
      p.postings.resize(n);
      const SegmentFooter& f = reader_->footer_;
      for (std::string_view& one : p.postings) {
        std::string_view rest = in.rest();
        parsed = parsed &&
                 SkipPostings(in, f.dicts->services.size(), f.row_groups.size(), t.postings_shift);
        one = rest.substr(0, rest.size() - in.remaining());
      }
    }
    if (!parsed || !in.done()) {
      st = Status::InvalidArgument(fmt::format("{}: {} holds other than its {} strings{}",
                                               reader_->path_, BlockName(c, kValueChunk), n,
                                               p.postings.empty() ? "" : " and postings"));
    }
  }
  if (!st.ok()) {
    if (error != nullptr) *error = st;
    return nullptr;
  }
  return fresh;
}

bool SegmentReader::Values::PostingsLists(const ValueTable& t, size_t c, std::string* raw,
                                          std::vector<std::string_view>* lists,
                                          Status* error) const {
  const ValueChunk& chunk = t.chunks[c];
  uint32_t end = c + 1 < t.chunks.size() ? t.chunks[c + 1].first : t.values;
  uint32_t n = end - chunk.first;
  auto damaged = [&] {
    if (error != nullptr) {
      *error =
          Status::InvalidArgument(fmt::format("{}: {} does not hold its {} strings' lists",
                                              reader_->path_, BlockName(c, kValuePostings), n));
    }
    return false;
  };
  // Each list takes at least its length byte and its count byte.
  if (n > chunk.postings.raw_size / 2) return damaged();
  Status st = reader_->ReadBlockInto(chunk.postings, c, kValuePostings, raw);
  if (!st.ok()) {
    if (error != nullptr) *error = st;
    return false;
  }
  if (n > raw->size() / 2) return damaged();
  ByteReader in(*raw);
  std::vector<uint64_t> sizes(n);
  uint64_t total = 0;
  for (uint64_t& size : sizes) {
    if (!in.GetVarint(&size) || size > in.remaining()) return damaged();
    total += size;
  }
  if (total != in.remaining()) return damaged();
  lists->resize(n);
  std::string_view rest = in.rest();
  for (uint32_t i = 0; i < n; ++i) {
    (*lists)[i] = rest.substr(0, sizes[i]);
    rest.remove_prefix(sizes[i]);
  }
  return true;
}

bool SegmentReader::Values::Get(uint32_t key, uint32_t id, std::string_view* value) const {
  const ValueTable* t = TableOf(key);
  if (t == nullptr || id >= t->values) return false;
  auto after = std::upper_bound(t->chunks.begin(), t->chunks.end(), id,
                                [](uint32_t v, const ValueChunk& c) { return v < c.first; });
  size_t c = static_cast<size_t>(after - t->chunks.begin()) - 1;
  const Parsed* chunk = Chunk(*t, c);
  if (chunk == nullptr) return false;
  *value = chunk->strings[id - t->chunks[c].first];
  return true;
}

bool SegmentReader::Values::Postings(uint32_t key, uint32_t id, std::optional<uint32_t> service,
                                     std::vector<uint32_t>* groups,
                                     std::vector<uint32_t>* services) const {
  const ValueTable* t = TableOf(key);
  if (t == nullptr || id >= t->values) return false;
  if (t->postings_shift == kNoPostings) return true;
  auto after = std::upper_bound(t->chunks.begin(), t->chunks.end(), id,
                                [](uint32_t v, const ValueChunk& c) { return v < c.first; });
  size_t c = static_cast<size_t>(after - t->chunks.begin()) - 1;
  const SegmentFooter& f = reader_->footer_;
  std::string_view list;
  if (f.version >= 8) {
    // Kept like the strings (a search asks each segment for its postings: a
    // 20 KiB block decompressed again each time was 16 us of every user-ID
    // search).
    const Parsed* lists = Cached(*t, c, /*postings=*/true, nullptr);
    if (lists == nullptr) return false;
    list = lists->postings[id - t->chunks[c].first];
    ByteReader check(list);
    if (!SkipPostings(check, f.dicts->services.size(), f.row_groups.size(), t->postings_shift) ||
        !check.done()) {
      return false;
    }
  } else {
    const Parsed* chunk = Chunk(*t, c);  // version 7: checked when the chunk was parsed
    if (chunk == nullptr) return false;
    list = chunk->postings[id - t->chunks[c].first];
  }
  uint64_t kinds = std::max<uint64_t>(1, f.dicts->services.size());
  ByteReader in(list);
  uint64_t n = 0, v = 0, block = 0;
  if (!in.GetVarint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (!in.GetVarint(&v)) return false;
    block += v / kinds;
    uint32_t s = static_cast<uint32_t>(v % kinds);
    if (service && s != *service) continue;
    for (uint64_t g = block << t->postings_shift;
         g < ((block + 1) << t->postings_shift) && g < f.row_groups.size(); ++g) {
      groups->push_back(static_cast<uint32_t>(g));
      if (services != nullptr) services->push_back(s);
    }
  }
  return true;
}

bool SegmentReader::Values::Find(uint32_t key, std::string_view value,
                                 std::optional<uint32_t>* id) const {
  *id = std::nullopt;
  const ValueTable* t = TableOf(key);
  if (t == nullptr) return true;
  // A search asks the same (key, value) of every group it reads: the last
  // answer is kept per thread.
  struct Last {
    uint64_t reader = 0;
    uint32_t key = 0;
    std::string value;
    std::optional<uint32_t> id;
  };
  thread_local Last last;
  if (last.reader == reader_->id_ && last.key == key && last.value == value) {
    *id = last.id;
    return true;
  }
  uint64_t h1, h2;
  BloomFilter::StringHashes(value, &h1, &h2);
  for (size_t c = 0; c < t->chunks.size() && !*id; ++c) {
    if (!t->chunks[c].filter.MayContain(h1, h2)) continue;
    const Parsed* chunk = Chunk(*t, c);
    if (chunk == nullptr) return false;
    auto it = std::find(chunk->strings.begin(), chunk->strings.end(), value);
    if (it != chunk->strings.end()) {
      *id = t->chunks[c].first + static_cast<uint32_t>(it - chunk->strings.begin());
    }
  }
  last = Last{reader_->id_, key, std::string(value), *id};
  return true;
}

Status SegmentReader::Values::Check() const {
  for (const ValueTable& t : reader_->footer_.value_tables) {
    for (size_t c = 0; c < t.chunks.size(); ++c) {
      Status error;
      const Parsed* chunk = Chunk(t, c, &error);
      if (chunk == nullptr) return error;
      const SegmentFooter& f = reader_->footer_;
      if (f.version >= 8 && t.postings_shift != kNoPostings) {
        std::string raw;
        std::vector<std::string_view> lists;
        if (!PostingsLists(t, c, &raw, &lists, &error)) return error;
        for (std::string_view list : lists) {
          ByteReader in(list);
          if (!SkipPostings(in, f.dicts->services.size(), f.row_groups.size(), t.postings_shift) ||
              !in.done()) {
            return Status::InvalidArgument(fmt::format(
                "{}: {} holds a damaged list", reader_->path_, BlockName(c, kValuePostings)));
          }
        }
      }
      // A filter that misses a string of its chunk makes searches for it
      // find nothing in this segment.
      for (std::string_view v : chunk->strings) {
        uint64_t h1, h2;
        BloomFilter::StringHashes(v, &h1, &h2);
        if (!t.chunks[c].filter.MayContain(h1, h2)) {
          return Status::InvalidArgument(
              fmt::format("{}: the filter of {} of key {} misses its string {:?}", reader_->path_,
                          BlockName(c, kValueChunk), reader_->footer_.dicts->keys.Get(t.key), v));
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace polytrace::store

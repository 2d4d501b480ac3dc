#include "store/segment/segment_writer.h"

#include <absl/container/flat_hash_map.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>

#include "store/format/bitpack.h"
#include "store/format/coding.h"
#include "store/format/crc32c.h"
#include "store/format/file_util.h"
#include "store/segment/attribute_columns.h"
#include "store/segment/attribute_index.h"
#include "store/segment/row_shapes.h"
#include "store/table/value_codec.h"

namespace polytrace::store {

namespace {

using ColumnBuffers = std::array<std::string, kColumnCount>;

// Encodes rows [begin, end) of `order` as the raw (uncompressed) columns.
class RowGroupEncoder {
 public:
  // `values`: the table whose `strings` and `blobs` the cells' ids and
  // offsets point into (`table` itself, or the one it was gathered from).
  RowGroupEncoder(const SpanTable& table, const SpanTable& values, std::span<const uint32_t> rows,
                  ValueTablesWriter* tables)
      : t_(table), blobs_(values.blobs), rows_(rows), values_(values, tables) {}

  void Encode(ColumnBuffers* c, RowGroupInfo* info) {
    info->rows = static_cast<uint32_t>(rows_.size());
    info->first_trace = t_.trace_id[rows_.front()];
    info->last_trace = t_.trace_id[rows_.back()];
    info->min_start = UINT64_MAX;
    info->max_end = 0;
    info->max_start = 0;
    info->extras = 0;
    for (uint32_t row : rows_) {
      info->min_start = std::min(info->min_start, t_.start[row]);
      info->max_start = std::max(info->max_start, t_.start[row]);
      info->max_end = std::max(info->max_end, t_.end[row]);
    }
    std::set<uint32_t> services;
    size_t trace_begin = 0;  // index in rows_ of the current trace's first row
    // Rows are sorted by (trace, start): both kinds of start offset are >= 0.
    std::vector<int64_t> first_starts, start_deltas, durations;
    durations.reserve(rows_.size());
    std::vector<uint32_t> op_of_row;
    op_of_row.reserve(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      uint32_t row = rows_[i];
      bool new_trace = i == 0 || t_.trace_id[row] != t_.trace_id[rows_[i - 1]];
      if (new_trace) {
        if (i > 0) PutTraceRun(c, rows_[trace_begin], i - trace_begin);
        trace_begin = i;
        first_starts.push_back(int64_t(t_.start[row] - info->min_start));
      } else {
        start_deltas.push_back(int64_t(t_.start[row] - t_.start[rows_[i - 1]]));
      }
      PutParent(c, trace_begin, i);
      (*c)[kSpanIds].append(t_.span_id[row].AsBytes());
      durations.push_back(int64_t(t_.end[row] - t_.start[row]));
      op_of_row.push_back(OpOf(row));
      services.insert(t_.service[row]);
      info->max_duration =
          std::max(info->max_duration, t_.end[row] - std::min(t_.end[row], t_.start[row]));
      info->statuses = static_cast<uint8_t>(info->statuses | (1u << (t_.status[row] & 7)));
      info->kinds = static_cast<uint8_t>(info->kinds | (1u << (t_.kind[row] & 7)));
      (*c)[kStatuses].push_back(static_cast<char>(t_.status[row]));
      PutAttributes(c, row);
      PutLengthPrefixed(&(*c)[kExtras], t_.Extras(row));
      info->extras |= ExtrasPresence(t_.Extras(row));
    }
    PutTraceRun(c, rows_[trace_begin], rows_.size() - trace_begin);
    PutBitPacked(&(*c)[kStarts], first_starts);
    PutBitPacked(&(*c)[kStarts], start_deltas);
    PutBitPacked(&(*c)[kDurations], durations);
    PutOps(&(*c)[kServices], op_of_row);
    info->services.assign(services.begin(), services.end());
    values_.Finish(&(*c)[kAttrStrings], &(*c)[kStringDict], &(*c)[kAttrInts], &(*c)[kAttrDoubles],
                   &(*c)[kAttrPacked]);
    shapes_.Finish(&(*c)[kAttrCounts], &(*c)[kAttrKeys], &(*c)[kAttrTypes]);
  }

 private:
  // A row's (service, name, origin, kind): few distinct ones per row group,
  // so one id per row, into a table at the head of the column.
  struct Op {
    uint32_t service, name, origin;
    uint8_t kind;
    bool operator==(const Op&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Op& op) {
      return H::combine(std::move(h), op.service, op.name, op.origin, op.kind);
    }
  };
  uint32_t OpOf(uint32_t row) {
    Op op{t_.service[row], t_.name[row], t_.origin[row], t_.kind[row]};
    auto [it, added] = op_ids_.try_emplace(op, static_cast<uint32_t>(ops_.size()));
    if (added) ops_.push_back(op);
    return it->second;
  }
  void PutOps(std::string* out, const std::vector<uint32_t>& op_of_row) {
    PutVarint(out, ops_.size());
    for (const Op& op : ops_) {
      PutVarint(out, op.service);
      PutVarint(out, op.name);
      PutVarint(out, op.origin);
      out->push_back(static_cast<char>(op.kind));
    }
    for (uint32_t id : op_of_row) PutVarint(out, id);
  }

  void PutTraceRun(ColumnBuffers* c, uint32_t row, size_t count) {
    (*c)[kTraceRuns].append(t_.trace_id[row].AsBytes());
    PutVarint(&(*c)[kTraceRuns], count);
  }

  // A parent is usually another span of the same trace: store its position.
  void PutParent(ColumnBuffers* c, size_t trace_begin, size_t i) {
    const SpanId& parent = t_.parent_span_id[rows_[i]];
    if (parent.IsZero()) {
      PutVarint(&(*c)[kParents], 0);
      return;
    }
    for (size_t j = trace_begin; j < rows_.size() && t_.trace_id[rows_[j]] == t_.trace_id[rows_[i]];
         ++j) {
      if (t_.span_id[rows_[j]] == parent) {
        PutVarint(&(*c)[kParents], 2 + (j - trace_begin));
        return;
      }
      if (j - trace_begin > 64) break;  // bounded search: huge traces fall back to explicit IDs
    }
    PutVarint(&(*c)[kParents], 1);
    (*c)[kParentIds].append(parent.AsBytes());
  }

  void PutAttributes(ColumnBuffers* c, uint32_t row) {
    const uint32_t begin = t_.AttrBegin(row), end = t_.AttrEnd(row);
    shapes_.AddRow(std::span(t_.attr_key).subspan(begin, end - begin),
                   std::span(t_.attr_type).subspan(begin, end - begin));
    for (uint32_t cell = begin; cell < end; ++cell) {
      uint8_t type = t_.attr_type[cell];
      uint64_t payload = t_.attr_value[cell];
      switch (static_cast<CellType>(type)) {
        case CellType::kString:
          values_.AddString(t_.attr_key[cell], static_cast<uint32_t>(payload), t_.service[row]);
          break;
        case CellType::kInt:
          values_.AddInt(t_.attr_key[cell], static_cast<int64_t>(payload));
          break;
        case CellType::kDouble: values_.AddDouble(t_.attr_key[cell], payload); break;
        case CellType::kComplex: {
          ByteReader in(std::string_view(blobs_).substr(payload));
          std::string_view encoded;
          in.GetLengthPrefixed(&encoded);
          PutLengthPrefixed(&(*c)[kAttrComplex], encoded);
          break;
        }
        default: break;
      }
    }
  }

  const SpanTable& t_;
  const std::string& blobs_;
  std::vector<Op> ops_;
  absl::flat_hash_map<Op, uint32_t> op_ids_;
  std::span<const uint32_t> rows_;
  AttributeColumnsWriter values_;  // typed values, laid out per key
  RowShapesWriter shapes_;         // each row's keys and types
};

// Row group boundaries: about `target` rows, moved forward to the end of a
// trace unless that trace is huge.
std::vector<size_t> CutRowGroups(const SpanTable& t, std::span<const uint32_t> order,
                                 uint32_t target) {
  std::vector<size_t> cuts{0};
  size_t pos = 0;
  while (pos < order.size()) {
    size_t end = std::min(order.size(), pos + target);
    size_t limit = std::min(order.size(), pos + 2 * size_t(target));
    while (end < limit && t.trace_id[order[end]] == t.trace_id[order[end - 1]]) ++end;
    cuts.push_back(end);
    pos = end;
  }
  return cuts;
}

// Postings spill beside the segment: the store's own disk, not /tmp.
std::string SpillDirectory(const std::string& segment_path) {
  std::string dir = std::filesystem::path(segment_path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

std::vector<uint32_t> SortedRowOrder(const SpanTable& t) {
  std::vector<uint32_t> order(t.rows());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (t.trace_id[a] != t.trace_id[b]) return t.trace_id[a] < t.trace_id[b];
    if (t.start[a] != t.start[b]) return t.start[a] < t.start[b];
    if (t.span_id[a] != t.span_id[b]) return t.span_id[a] < t.span_id[b];
    return a < b;  // duplicates in arrival order: one order, however sorted
  });
  return order;
}

Result<std::unique_ptr<SegmentBuilder>> SegmentBuilder::Create(std::string path,
                                                               std::shared_ptr<TableDicts> dicts,
                                                               SegmentWriteOptions options) {
  std::unique_ptr<SegmentBuilder> b(new SegmentBuilder(std::move(path), std::move(dicts), options));
  std::string tmp = b->path_ + ".tmp";
  b->fd_ = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (b->fd_ < 0)
    return Status::Unavailable(fmt::format("create {}: {}", tmp, std::strerror(errno)));
  b->cctx_ = ZSTD_createCCtx();
  if (Status st = b->Write(std::string_view(kSegmentMagic, sizeof(kSegmentMagic))); !st.ok())
    return st;
  return b;
}

SegmentBuilder::SegmentBuilder(std::string path, std::shared_ptr<TableDicts> dicts,
                               SegmentWriteOptions options)
    : path_(std::move(path)),
      options_(options),
      value_tables_(std::make_unique<ValueTablesWriter>(
          options.value_table_bytes, options.value_postings,
          options.spill_postings ? SpillDirectory(path_) : std::string())) {
  footer_.dicts = std::move(dicts);
}

SegmentBuilder::~SegmentBuilder() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink((path_ + ".tmp").c_str());
  }
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
}

Status SegmentBuilder::Write(std::string_view data) {
  offset_ += data.size();
  return WriteFully(fd_, data, path_ + ".tmp");
}

Result<std::string> SegmentBuilder::Compress(const std::string& raw) {
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(cctx_), compressed.data(), compressed.size(),
                               raw.data(), raw.size(), options_.zstd_level);
  if (ZSTD_isError(n)) return Status::Internal(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  compressed.resize(n);
  return compressed;
}

Status SegmentBuilder::AddRows(const SpanTable& table, std::span<const uint32_t> rows) {
  std::vector<size_t> cuts =
      CutRowGroups(table, rows, std::max<uint32_t>(1, options_.row_group_rows));
  for (size_t g = 0; g + 1 < cuts.size(); ++g) {
    if (Status st = AddRowGroup(table, rows.subspan(cuts[g], cuts[g + 1] - cuts[g])); !st.ok())
      return st;
  }
  return Status::Ok();
}

Status SegmentBuilder::AddRowGroup(const SpanTable& table, std::span<const uint32_t> rows) {
  // Rows scattered over the table (a head in arrival order) are gathered
  // into trace order first: encoding straight from scattered rows spent
  // more than half of sealing's CPU on cache misses (bench/store_ingest_bench:
  // 641 -> 281 ns/span from rows in order).
  // The gathered table is reused from group to group: fresh memory for
  // each would be page faults and zeroing all over again.
  bool in_order = true;
  for (size_t i = 1; i < rows.size() && in_order; ++i) in_order = rows[i] == rows[i - 1] + 1;
  if (!in_order) {
    if (!gathered_ || gathered_->shared_dicts() != table.shared_dicts())
      gathered_ = std::make_unique<SpanTable>(table.shared_dicts());
    gathered_->ClearRows();
    gathered_->GatherRowsFrom(table, rows);
    gathered_rows_.resize(rows.size());
    for (uint32_t i = 0; i < gathered_rows_.size(); ++i) gathered_rows_[i] = i;
  }
  const SpanTable& source = in_order ? table : *gathered_;
  std::span<const uint32_t> source_rows = in_order ? rows : gathered_rows_;

  ColumnBuffers columns;
  RowGroupInfo& info = footer_.row_groups.emplace_back();
  value_tables_->StartGroup(static_cast<uint32_t>(footer_.row_groups.size() - 1));
  RowGroupEncoder(source, table, source_rows, value_tables_.get()).Encode(&columns, &info);
  for (int c = 0; c < kColumnCount; ++c) {
    if (StoredRaw(c)) {  // as it is; no block at all when empty
      info.columns[c] = {columns[c].empty() ? 0 : offset_, static_cast<uint32_t>(columns[c].size()),
                         static_cast<uint32_t>(columns[c].size()), Crc32c(columns[c])};
      if (Status st = Write(columns[c]); !st.ok()) return st;
      continue;
    }
    Result<std::string> compressed = Compress(columns[c]);
    if (!compressed.ok()) return compressed.status();
    info.columns[c] = {offset_, static_cast<uint32_t>(compressed->size()),
                       static_cast<uint32_t>(columns[c].size()), Crc32c(*compressed)};
    if (Status st = Write(*compressed); !st.ok()) return st;
  }
  for (uint32_t row : source_rows) {
    if (trace_ids_.empty() || trace_ids_.back() != source.trace_id[row])
      trace_ids_.push_back(source.trace_id[row]);
    Operation op{source.service[row], source.name[row], source.kind[row]};
    if (op != last_operation_) operations_.insert(op);  // spans of a trace often repeat one
    last_operation_ = op;
  }
  GroupAttributes attributes;
  CollectAttributes(
      source, table, source_rows,
      [this](std::string_view key) { return attribute_index_.IndexesValuesOf(key); }, &attributes);
  attribute_index_.AddGroup(static_cast<uint32_t>(footer_.row_groups.size() - 1),
                            static_cast<uint32_t>(rows.size()), attributes);
  spans_ += rows.size();
  return Status::Ok();
}

Result<uint64_t> SegmentBuilder::Finish(SegmentMeta meta) {
  meta.spans = spans_;
  meta.traces = trace_ids_.size();
  meta.min_start = footer_.row_groups.empty() ? 0 : UINT64_MAX;
  meta.max_end = 0;
  meta.max_start = 0;
  for (const RowGroupInfo& rg : footer_.row_groups) {
    meta.min_start = std::min(meta.min_start, rg.min_start);
    meta.max_end = std::max(meta.max_end, rg.max_end);
    meta.max_start = std::max(meta.max_start, rg.max_start);
  }
  if (Status st = WriteValueTables(); !st.ok()) return st;
  // The attribute index: a block of its own after the row groups, read on
  // a segment's first attribute search, not at open.
  std::string raw_index = attribute_index_.Encode();
  Result<std::string> index = Compress(raw_index);
  if (!index.ok()) return index.status();
  footer_.attribute_index = {offset_, static_cast<uint32_t>(index->size()),
                             static_cast<uint32_t>(raw_index.size()), Crc32c(*index)};
  if (Status st = Write(*index); !st.ok()) return st;
  footer_.bloom = BloomFilter(trace_ids_.size());
  for (const TraceId& id : trace_ids_) footer_.bloom.Add(id);
  footer_.operations.assign(operations_.begin(), operations_.end());
  footer_.meta = std::move(meta);
  std::string raw_footer = EncodeFooter(footer_);
  Result<std::string> compressed = Compress(raw_footer);
  if (!compressed.ok()) return compressed.status();
  std::string tail = *compressed;
  PutFixed64(&tail, offset_);
  PutFixed32(&tail, static_cast<uint32_t>(compressed->size()));
  PutFixed32(&tail, static_cast<uint32_t>(raw_footer.size()));
  PutFixed32(&tail, Crc32c(*compressed));
  PutFixed32(&tail, 0);
  tail.append(kSegmentEndMagic, sizeof(kSegmentEndMagic));
  if (Status st = Write(tail); !st.ok()) return st;
  std::string tmp = path_ + ".tmp";
  int fd = fd_;
  fd_ = -1;
  bool synced = ::fdatasync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Unavailable(fmt::format("finish segment {}: {}", path_, std::strerror(errno)));
  }
  SyncDirectory(std::filesystem::path(path_).parent_path().string());
  return offset_;
}

namespace {

// Whether postings pay for themselves: a string is on a span of a service
// in few of the blocks (a user ID), not in most (a route, a peer address:
// the attribute index or a read of every group answers those as well).
Result<bool> SelectivePostings(PostingsCollector& postings, uint32_t key, uint8_t shift,
                               uint32_t strings, size_t blocks) {
  Result<PostingsCollector::Pass> pass = postings.Read(key, shift);
  if (!pass.ok()) return pass.status();
  uint64_t pairs = 0, lists = 0;  // (block, service) pairs; (string, service) lists
  std::vector<std::pair<uint32_t, uint32_t>> list;
  std::vector<uint32_t> services;
  for (uint32_t id = 0; id < strings; ++id) {
    if (Status st = pass->Next(id, &list); !st.ok()) return st;
    pairs += list.size();
    services.clear();
    for (const auto& [block, service] : list) services.push_back(service);
    std::sort(services.begin(), services.end());
    lists += size_t(std::unique(services.begin(), services.end()) - services.begin());
  }
  return pairs > 0 && pairs * 8 <= lists * blocks;  // on average in an eighth of the blocks
}

// The postings block of strings [first, end): per string the byte length
// of its list, then the lists: its count of (block, service) pairs, then
// each as one varint, block delta × services + service (a user ID's next
// block is a few blocks on: one byte a posting).
Status PutPostings(PostingsCollector::Pass& pass, uint32_t first, uint32_t end, uint32_t services,
                   std::string* out) {
  std::vector<std::pair<uint32_t, uint32_t>> list;
  std::string lists;
  for (uint32_t id = first; id < end; ++id) {
    if (Status st = pass.Next(id, &list); !st.ok()) return st;
    size_t at = lists.size();
    PutVarint(&lists, list.size());
    uint32_t previous = 0;
    for (const auto& [block, service] : list) {
      PutVarint(&lists, uint64_t(block - previous) * services + service);
      previous = block;
    }
    PutVarint(out, lists.size() - at);
  }
  out->append(lists);
  return Status::Ok();
}

}  // namespace

Status SegmentBuilder::WriteValueTables() {
  // Chunks small enough that a read resolving a few ids decompresses
  // little (a trace's user IDs sit in as many chunks), big enough that zstd
  // still finds the strings' common parts.
  constexpr size_t kChunkValues = 1024, kChunkBytes = 16 << 10;
  const size_t groups = footer_.row_groups.size();
  const uint32_t services = std::max<uint32_t>(1, footer_.dicts->services.size());
  Status status = Status::Ok();
  std::string raw;
  bool complete = value_tables_->postings_complete();
  value_tables_->ForEach([&](uint32_t key, ValueTablesWriter::Table& t) {
    if (!status.ok() || t.values.empty()) return;
    ValueTable& table = footer_.value_tables.emplace_back();
    table.key = key;
    table.values = static_cast<uint32_t>(t.values.size());
    table.first_dictionary_group =
        static_cast<uint32_t>(std::min<size_t>(t.first_dictionary_group, groups));
    // A posting stands for a block of 2^shift groups (posting_block_rows).
    uint8_t shift = 0;
    while ((uint64_t(options_.row_group_rows) << (shift + 1)) <= options_.posting_block_rows &&
           shift < 31) {
      ++shift;
    }
    // A key closed for its strings not repeating (an ID per span) has none:
    // a posting per span would cost more than the index saves.
    bool postings = false;
    if (complete && !t.closed && groups > 0) {
      Result<bool> selective = SelectivePostings(value_tables_->postings(), key, shift,
                                                 table.values, ((groups - 1) >> shift) + 1);
      if (!selective.ok()) {
        status = selective.status();
        return;
      }
      postings = *selective;
    }
    table.postings_shift = postings ? shift : kNoPostings;
    std::optional<PostingsCollector::Pass> pass;
    if (postings) {
      Result<PostingsCollector::Pass> read = value_tables_->postings().Read(key, shift);
      if (!read.ok()) {
        status = read.status();
        return;
      }
      pass.emplace(std::move(*read));
    }
    for (size_t first = 0; first < t.values.size() && status.ok();) {
      raw.clear();
      size_t end = first;
      while (end < t.values.size() && end - first < kChunkValues && raw.size() < kChunkBytes) {
        PutLengthPrefixed(&raw, t.values[end++]);
      }
      Result<std::string> compressed = Compress(raw);
      if (!compressed.ok()) {
        status = compressed.status();
        return;
      }
      ValueChunk& chunk = table.chunks.emplace_back();
      chunk.first = static_cast<uint32_t>(first);
      chunk.block = {offset_, static_cast<uint32_t>(compressed->size()),
                     static_cast<uint32_t>(raw.size()), Crc32c(*compressed)};
      status = Write(*compressed);
      if (!status.ok()) return;
      if (pass) {  // in a block of their own: reading strings does not decompress them
        raw.clear();
        status = PutPostings(*pass, static_cast<uint32_t>(first), static_cast<uint32_t>(end),
                             services, &raw);
        if (!status.ok()) return;
        compressed = Compress(raw);
        if (!compressed.ok()) {
          status = compressed.status();
          return;
        }
        chunk.postings = {offset_, static_cast<uint32_t>(compressed->size()),
                          static_cast<uint32_t>(raw.size()), Crc32c(*compressed)};
        status = Write(*compressed);
      }
      // 8 bits a string (~2.3% false positives): 10 took 0.25 bytes per
      // span more in the open window, where each segment has its own table.
      chunk.filter = BloomFilter(end - first, 8);
      for (size_t id = first; id < end; ++id) {
        uint64_t h1, h2;
        BloomFilter::StringHashes(t.values[id], &h1, &h2);
        chunk.filter.Add(h1, h2);
      }
      first = end;
    }
    // A lookup in a one-chunk table reads that chunk anyway.
    if (table.chunks.size() == 1) table.chunks[0].filter = BloomFilter();
  });
  return status;
}

Result<uint64_t> WriteSegment(const std::string& path, const SpanTable& table,
                              std::span<const uint32_t> order, SegmentMeta meta,
                              const SegmentWriteOptions& options) {
  Result<std::unique_ptr<SegmentBuilder>> builder =
      SegmentBuilder::Create(path, table.shared_dicts(), options);
  if (!builder.ok()) return builder.status();
  if (Status st = (*builder)->AddRows(table, order); !st.ok()) return st;
  return (*builder)->Finish(std::move(meta));
}

}  // namespace polytrace::store

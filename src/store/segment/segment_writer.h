// Writes a segment file: rows sorted by (trace ID, start), cut into row
// groups that keep a trace's spans together where they can, each column
// zstd-compressed and checksummed, footer last. Row groups stream to a
// temporary file (compaction merges segments bigger than memory); Finish
// syncs and renames it into place, so a crash leaves the old state or the
// whole segment, never a part.
#pragma once

#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/segment/attribute_columns.h"
#include "store/segment/attribute_index.h"
#include "store/segment/segment_format.h"
#include "store/table/span_table.h"

namespace polytrace::store {

struct SegmentWriteOptions {
  uint32_t row_group_rows = 2048;
  int zstd_level = 1;  // measured best speed/ratio on span columns (DEPENDENCIES.md)
  // Memory the value tables may take while the segment is written; past
  // it, keys keep a dictionary per row group (attribute_columns.h).
  size_t value_table_bytes = size_t(64) << 20;
  // Spans a value-table posting stands for (rounded to whole row groups):
  // a posting per 2,048-span group cost 1.4 bytes per span on the demo
  // data, one per 8,192 spans 0.8 (docs/BENCHMARKS.md).
  uint32_t posting_block_rows = 8192;
  // Postings the writer holds in memory (12 bytes each); past it they spill
  // to a file beside the segment or, without spill_postings, the segment
  // has none.
  size_t value_postings = ValueTablesWriter::kMaxPostings;
  bool spill_postings = true;
};

// The table's rows ordered by (trace ID, start, span ID, row).
std::vector<uint32_t> SortedRowOrder(const SpanTable& table);

class SegmentBuilder {
 public:
  // Every table passed to AddRows must use `dicts`.
  static Result<std::unique_ptr<SegmentBuilder>> Create(std::string path,
                                                        std::shared_ptr<TableDicts> dicts,
                                                        SegmentWriteOptions options = {});
  ~SegmentBuilder();

  // Appends rows (continuing the sorted order) as one or more row groups.
  Status AddRows(const SpanTable& table, std::span<const uint32_t> rows);
  // Writes the footer and moves the file into place; returns its size.
  // `meta` supplies id, level, max_wal_seq and replaces.
  Result<uint64_t> Finish(SegmentMeta meta);

 private:
  SegmentBuilder(std::string path, std::shared_ptr<TableDicts> dicts, SegmentWriteOptions options);
  Status AddRowGroup(const SpanTable& table, std::span<const uint32_t> rows);
  Status Write(std::string_view data);
  Result<std::string> Compress(const std::string& raw);
  // Writes the value tables' chunks and lists them in the footer.
  Status WriteValueTables();

  std::string path_;
  SegmentWriteOptions options_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  SegmentFooter footer_;
  std::set<Operation> operations_;
  Operation last_operation_{UINT32_MAX, UINT32_MAX, 0};
  std::unique_ptr<SpanTable> gathered_;  // a row group's rows, in trace order
  std::vector<uint32_t> gathered_rows_;
  std::vector<TraceId> trace_ids_;  // one per trace, for the filter
  AttributeIndexBuilder attribute_index_;
  std::unique_ptr<ValueTablesWriter> value_tables_;
  uint64_t spans_ = 0;
  void* cctx_ = nullptr;  // ZSTD_CCtx
};

// Writes rows `order` of `table` as one segment (the head's seal).
Result<uint64_t> WriteSegment(const std::string& path, const SpanTable& table,
                              std::span<const uint32_t> order, SegmentMeta meta,
                              const SegmentWriteOptions& options = {});

}  // namespace polytrace::store

// The segment file: an immutable, checksummed set of spans sorted by
// (trace ID, start), stored column by column in row groups. The layout is
// documented in docs/store-format.md; this header holds what the writer
// and the reader share: the column list, the footer and its codec.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "core/status.h"
#include "store/segment/bloom_filter.h"
#include "store/table/span_table.h"

namespace polytrace::store {

inline constexpr char kSegmentMagic[8] = {'P', 'T', 'S', 'E', 'G', 1, 0, 0};
inline constexpr char kSegmentEndMagic[8] = {'P', 'T', 'S', 'E', 'G', 'E', 'N', 'D'};
// 2: starts and durations bit-packed (format/bitpack.h); service, name,
// origin and kind as one id per row into a per-row-group table.
// 3: row groups record which extras (links, events...) their rows have.
// 4: an attribute index (attribute_index.h), a block after the row groups
// that the footer locates.
// 5: the attribute index keeps its entries per service as well.
// 6: value tables: a key's strings kept once per segment, row groups
// giving ids into them (attribute_columns.h), instead of a dictionary per
// row group that repeated a high-cardinality key's values group after group.
// 7: value tables keep postings: per string and service, the row groups
// holding it.
// 8: each value-table chunk has a Bloom filter of its strings in the
// footer: a lookup decompresses the chunk holding the string, not every
// chunk before it (a restarted search for a user ID read them all); and
// its postings in a block of their own.
// 9: bit-packed string codes (a user ID's) in a column of their own,
// stored uncompressed (kAttrPacked): a search probing a group for a user ID
// reads them without decompressing the group's other strings.
// 10: row shapes (row_shapes.h).
// 11: the segment and each row group record their latest span start
// (max_start): a search for the newest traces skips groups by it, and a
// span whose clock is skewed (it ends before it starts) is no longer ruled
// out by a search by start that falls after its end.
// Versions 1 to 10 are still read; compaction rewrites them as 11.
inline constexpr uint8_t kSegmentVersion = 11;
inline constexpr size_t kSegmentTrailerSize = 32;

// One zstd block per column per row group, in this order.
enum Column : uint8_t {
  kTraceRuns,    // per trace: 16-byte ID + varint span count
  kSpanIds,      // 8 bytes per row
  kParents,      // varint per row: 0 none, 1 explicit (next in kParentIds), 2+i: row i of the trace
  kParentIds,    // 8 bytes per explicit parent
  kStarts,       // bit-packed: each trace's first start vs the group's min start; then bit-packed:
                 // every other row's start vs the previous row's (v1: one zigzag varint per row)
  kDurations,    // bit-packed end - start (v1: zigzag varint)
  kServices,     // varint count, that many (varint service, name, origin dict ids, kind byte),
                 // then a varint index into them per row (v1: varint service dict id per row)
  kNames,        // v1 only: varint dict id per row
  kOrigins,      // v1 only: varint dict id per row
  kKinds,        // v1 only: byte per row
  kStatuses,     // byte
  kAttrCounts,   // v10: a shape id per row (row_shapes.h); v1-9: varint cell count per row
  kAttrKeys,     // v10: each shape's keys; v1-9: varint dict id per cell
  kAttrTypes,    // v10: each shape's types; v1-9: CellType byte per cell
  kAttrInts,     // zigzag varint per kInt cell
  kAttrDoubles,  // 8 bytes per kDouble cell
  kAttrStrings,  // varint id in kStringDict per kString cell
  kStringDict,   // varint count + length-prefixed strings
  kAttrComplex,  // length-prefixed encoded value per kComplex cell
  kExtras,       // length-prefixed encoded extras per row
  // Version 9: the strings sections of keys whose codes are bit-packed
  // (value tables of 256 strings or more: user IDs), as in kAttrStrings,
  // stored uncompressed (zstd cannot shrink random codes) so that pruning
  // reads a few KiB and decompresses nothing; empty (no block) when no key
  // of the group is packed, and in older versions.
  kAttrPacked,
  kColumnCount,
};
// Columns in the row groups of versions 1-8.
inline constexpr int kColumnCountV8 = kColumnCount - 1;
// Columns stored as they are, not zstd-compressed (version 9 on).
constexpr bool StoredRaw(int column) { return column == kAttrPacked; }

// Which columns a read decodes: a search needs neither span IDs nor
// parents, and without attribute conditions no attribute column either.
using ColumnMask = uint32_t;
constexpr ColumnMask ColumnBit(Column c) { return 1u << c; }
inline constexpr ColumnMask kAllColumns = (1u << kColumnCount) - 1;
inline constexpr ColumnMask kSearchColumns =
    ColumnBit(kTraceRuns) | ColumnBit(kStarts) | ColumnBit(kDurations) | ColumnBit(kServices) |
    ColumnBit(kNames) | ColumnBit(kKinds) | ColumnBit(kStatuses);
inline constexpr ColumnMask kAttributeColumns =
    ColumnBit(kOrigins) | ColumnBit(kAttrCounts) | ColumnBit(kAttrKeys) | ColumnBit(kAttrTypes) |
    ColumnBit(kAttrInts) | ColumnBit(kAttrDoubles) | ColumnBit(kAttrStrings) |
    ColumnBit(kStringDict) | ColumnBit(kAttrComplex) | ColumnBit(kExtras) | ColumnBit(kAttrPacked);

// Column names, for messages and statistics.
extern const char* const kColumnNames[kColumnCount];

struct ColumnBlock {
  uint64_t offset = 0;
  uint32_t size = 0;      // compressed
  uint32_t raw_size = 0;  // uncompressed
  uint32_t crc = 0;       // CRC32C of the compressed bytes
};

struct RowGroupInfo {
  uint32_t rows = 0;
  TraceId first_trace;
  TraceId last_trace;
  uint64_t min_start = 0;
  uint64_t max_end = 0;
  // The latest start (version 11; before, max_end stands for it: a bound
  // except for a span that ends before it starts).
  uint64_t max_start = 0;
  std::vector<uint32_t> services;  // ids present in the group
  // Pruning statistics: a search skips a group none of whose spans can match.
  uint64_t max_duration = 0;  // longest span, nanoseconds
  uint8_t statuses = 0;       // bit (1 << StatusCodeValue) per status present
  uint8_t kinds = 0;          // bit (1 << SpanKind) per kind present
  // Union of the rows' extras presence bits (value_codec.h); version 1
  // footers lack it: all set.
  uint8_t extras = 0xFF;
  std::array<ColumnBlock, kColumnCount> columns;
};

struct Operation {
  uint32_t service = 0;
  uint32_t name = 0;
  uint8_t kind = 0;
  friend auto operator<=>(const Operation&, const Operation&) = default;
};

inline constexpr uint32_t kFinalLevel = 0xFFFF;

struct SegmentMeta {
  uint64_t id = 0;
  uint32_t level = 0;  // 0: sealed from the head; 1+: compacted; kFinalLevel: a closed window's
                       // final merge, never merged again
  uint64_t spans = 0;
  uint64_t traces = 0;
  uint64_t min_start = 0;
  uint64_t max_end = 0;
  uint64_t max_start = 0;           // as RowGroupInfo's
  uint64_t max_wal_seq = 0;         // WAL files up to this one are in segments
  uint64_t written_unix_nanos = 0;  // when its newest spans were sealed: retention counts from here
  std::vector<uint64_t> replaces;   // compaction: the segments this one supersedes
};

// A key's value table (version 6): its distinct strings in the order the
// segment first holds them (a string's id is its position), in chunks
// compressed one by one, so a read decompresses the chunks of the ids it
// meets, not the table.
// Since version 7 a chunk may also hold its strings' postings: the row
// groups (shifted right by `postings_shift`: a posting may stand for 2^shift
// groups) where each string is on a span of each service.
struct ValueChunk {
  uint32_t first = 0;  // the id of its first string
  ColumnBlock block;   // n length-prefixed strings (n: up to the next chunk's first),
                       // then (version 7 only) with postings, per string: n,
                       // then n varints block-delta × services + service
                       // (sorted by block, service; a block is
                       // 2^postings_shift row groups)
  // Version 8: the strings' postings in a block of their own (size 0:
  // none), so that resolving ids decompresses strings only: per string the
  // byte length of its list, then the lists (n, then n varints as above).
  // In version 7 a table's postings (about a byte a span) sat in its string
  // chunks, and a row read at 100M spans decompressed megabytes of them.
  ColumnBlock postings;
  // Version 8: its strings (BloomFilter::StringHashes), 8 bits each;
  // empty (older versions, a table of one chunk): any string may be in it.
  BloomFilter filter;
};
inline constexpr uint8_t kNoPostings = 0xFF;
struct ValueTable {
  uint32_t key = 0;  // in dicts->keys
  uint32_t values = 0;
  std::vector<ValueChunk> chunks;        // ascending first, the first at 0
  uint8_t postings_shift = kNoPostings;  // version 7
  // From this row group on the key keeps a dictionary per group (the table
  // was full): postings say nothing of those groups. Version 7.
  uint32_t first_dictionary_group = 0;
};

struct SegmentFooter {
  uint8_t version = kSegmentVersion;  // of the file, as read
  SegmentMeta meta;
  std::shared_ptr<TableDicts> dicts;
  std::vector<Operation> operations;
  std::vector<RowGroupInfo> row_groups;
  BloomFilter bloom;
  ColumnBlock attribute_index;           // version 4; versions before: size 0, no index
  std::vector<ValueTable> value_tables;  // version 6, ascending key
};

std::string EncodeFooter(const SegmentFooter& footer);
// `where` names the file in error messages.
Status DecodeFooter(std::string_view data, const std::string& where, SegmentFooter* footer);

std::string SegmentFileName(uint64_t id);
bool ParseSegmentFileName(std::string_view name, uint64_t* id);

}  // namespace polytrace::store

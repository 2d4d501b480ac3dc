// SpanTable: spans as columns, the one in-memory shape of stored spans.
//
// The head block appends decoded batches to a SpanTable; a sealed segment
// is a SpanTable sorted by (trace ID, start) and written column by column;
// reading a segment's row group decodes its columns back into a SpanTable.
// Queries scan the columns they need (service, name, start, duration,
// attributes) and materialize whole spans only for the rows they return.
//
// Strings are ids into dictionaries. Services, span names, attribute keys
// and origins (resource + scope) are shared by every table of one segment
// (TableDicts); string attribute values are per table (`strings`), so one
// row group never drags in another's values.
//
// Not thread-safe; the owner guards it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/traces.h"
#include "store/table/string_dict.h"

namespace polytrace::store {

struct TableDicts {
  StringDict services;
  StringDict names;
  StringDict keys;
  StringDict origins;  // encoded resource + scope (value_codec.h EncodeOrigin)
};

// How an attribute cell's 64-bit payload is to be read.
enum class CellType : uint8_t {
  kEmpty = 0,
  kString = 1,  // payload: id in SpanTable::strings
  kBoolFalse = 2,
  kBoolTrue = 3,
  kInt = 4,      // payload: the int64
  kDouble = 5,   // payload: the double's bits
  kComplex = 6,  // bytes, array, kvlist; payload: offset in SpanTable::blobs
};

// The service name recorded for spans whose resource has none, as the
// OpenTelemetry SDKs name it when `service.name` is missing.
inline constexpr std::string_view kUnknownService = "unknown_service";

class SpanTable {
 public:
  explicit SpanTable(std::shared_ptr<TableDicts> dicts = std::make_shared<TableDicts>());

  size_t rows() const { return trace_id.size(); }
  TableDicts& dicts() { return *dicts_; }
  const TableDicts& dicts() const { return *dicts_; }
  const std::shared_ptr<TableDicts>& shared_dicts() const { return dicts_; }

  // Appends every span of `traces`; returns the first new row.
  uint32_t Append(const Traces& traces);
  // Translations of one source table's ids into this table's, filled as
  // rows are copied, so each distinct string is interned once rather than
  // once per cell (compaction copies every span of its inputs).
  struct IdCache {
    std::vector<uint32_t> services, names, origins, keys;  // the source's dicts -> dicts()
    std::vector<uint32_t> strings;  // the source's strings -> strings: clear when either changes
  };
  // Appends row `row` of `other`, re-interning its strings in this table.
  void AppendRowFrom(const SpanTable& other, uint32_t row, IdCache* cache);
  void AppendRowFrom(const SpanTable& other, uint32_t row) {
    IdCache once;
    AppendRowFrom(other, row, &once);
  }
  // Removes every row, keeping the memory (and the dictionaries).
  void ClearRows();
  // Room for `rows` rows and `cells` attribute cells without reallocating
  // (address space only: pages are touched as rows arrive).
  void Reserve(size_t rows, size_t cells);
  // Appends rows of `other` (which shares this table's dicts) as they are:
  // string and complex attribute cells keep their ids and offsets into
  // `other`'s `strings` and `blobs`, which this table leaves empty — read
  // them there. Column by column, so the scattered reads of a head in
  // arrival order overlap (sealing encodes rows in trace order).
  void GatherRowsFrom(const SpanTable& other, std::span<const uint32_t> rows);
  // Adds the given rows to `out`, grouped into one ResourceSpans per origin.
  // False if a stored blob is damaged.
  bool Materialize(std::span<const uint32_t> rows, Traces* out) const;

  // Attribute cells of a row: [attr_begin[row], attr_begin[row + 1]).
  uint32_t AttrBegin(uint32_t row) const { return attr_begin[row]; }
  uint32_t AttrEnd(uint32_t row) const { return attr_begin[row + 1]; }
  // The cell as a value; strings point into this table (valid while it lives).
  AnyValue CellValue(uint32_t cell, Arena& arena) const;
  // A cell's value from its type and payload, reading strings and blobs
  // from this table (a gathered table's cells point into its source's).
  AnyValue ValueOf(CellType type, uint64_t payload, Arena& arena) const;
  std::string_view Extras(uint32_t row) const {
    return std::string_view(extras).substr(extras_begin[row],
                                           extras_begin[row + 1] - extras_begin[row]);
  }
  // Approximate heap bytes held, for sealing by size.
  size_t MemoryBytes() const;

  // Columns, one entry per row (attr_* one per attribute cell).
  std::vector<TraceId> trace_id;
  std::vector<SpanId> span_id;
  std::vector<SpanId> parent_span_id;
  std::vector<uint64_t> start;  // unix nanos
  std::vector<uint64_t> end;
  std::vector<uint32_t> service;        // dicts().services
  std::vector<uint32_t> name;           // dicts().names
  std::vector<uint32_t> origin;         // dicts().origins
  std::vector<uint8_t> kind;            // SpanKind
  std::vector<uint8_t> status;          // StatusCodeValue
  std::vector<uint32_t> attr_begin{0};  // rows + 1 entries
  std::vector<uint32_t> attr_key;       // dicts().keys
  std::vector<uint8_t> attr_type;       // CellType
  std::vector<uint64_t> attr_value;
  std::vector<uint32_t> extras_begin{0};  // rows + 1 entries, into `extras`
  std::string extras;                     // value_codec.h EncodeSpanExtras
  std::string blobs;                      // complex attribute values, length-prefixed
  StringDict strings;                     // string attribute values

 private:
  void AppendCell(uint32_t key, const AnyValue& value);
  std::shared_ptr<TableDicts> dicts_;
};

// The `service.name` of a resource, or kUnknownService.
std::string_view ServiceNameOf(const Resource& resource);

}  // namespace polytrace::store

// Typed attribute value columns of a row group, laid out per attribute key:
// every value of `http.route` together, then every value of `user.id`, ...
// so zstd sees each key's values side by side (a low-cardinality key
// compresses to almost nothing) and string dictionaries are per key (ids
// of a high-cardinality key are nearly sequential, stored as deltas).
//
//   strings column := nkeys (key nvalues zigzag(local_id - previous)*)*
//   dict column    := nkeys (key nstrings length-prefixed*)*
//   ints column    := nkeys (key nvalues zigzag(value)*)*
//   doubles column := nkeys (key nvalues 8-byte*)*
// Cells name their key in cell order (attr_keys), so a reader takes each
// cell's value from the front of its key's stream.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "store/table/span_table.h"

namespace polytrace::store {

class AttributeColumnsWriter {
 public:
  explicit AttributeColumnsWriter(const SpanTable& table) : table_(table) {}
  void AddString(uint32_t key, uint32_t table_string_id);
  void AddInt(uint32_t key, int64_t value);
  void AddDouble(uint32_t key, uint64_t bits);
  void Finish(std::string* strings, std::string* dict, std::string* ints,
              std::string* doubles) const;

 private:
  struct KeyStrings {
    std::vector<uint32_t> table_ids;                    // local id -> table string id
    absl::flat_hash_map<uint32_t, uint32_t> local_ids;  // table string id -> local id
    std::vector<uint32_t> stream;                       // local ids in cell order
  };
  const SpanTable& table_;
  std::map<uint32_t, KeyStrings> strings_;
  std::map<uint32_t, std::vector<int64_t>> ints_;
  std::map<uint32_t, std::vector<uint64_t>> doubles_;
};

class AttributeColumnsReader {
 public:
  // Parses the columns; strings are interned into `table->strings`. False
  // on damaged input.
  bool Parse(std::string_view strings, std::string_view dict, std::string_view ints,
             std::string_view doubles, SpanTable* table);
  // The next value of `key` as a cell payload; false when none is left.
  bool NextString(uint32_t key, uint64_t* payload) { return Next(strings_, key, payload); }
  bool NextInt(uint32_t key, uint64_t* payload) { return Next(ints_, key, payload); }
  bool NextDouble(uint32_t key, uint64_t* payload) { return Next(doubles_, key, payload); }

 private:
  struct Stream {
    std::vector<uint64_t> values;
    size_t next = 0;
  };
  using Streams = absl::flat_hash_map<uint32_t, Stream>;
  static bool Next(Streams& streams, uint32_t key, uint64_t* payload);

  Streams strings_, ints_, doubles_;
};

}  // namespace polytrace::store

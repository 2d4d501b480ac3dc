// Typed attribute value columns of a row group, laid out per attribute key:
// every value of `http.route` together, then every value of `user.id`, ...
// so zstd sees each key's values side by side (a low-cardinality key
// compresses to almost nothing) and string dictionaries are per key (ids
// of a high-cardinality key are nearly sequential, stored as deltas).
//
//   column         := nkeys section*
//   section        := key n length payload   (length: of payload, so a
//                     reader finds each key's values without walking others)
//   strings payload:= zigzag(local_id - previous)×n
//   dict payload   := length-prefixed string×n
//   ints payload   := zigzag(value)×n
//   doubles payload:= 8-byte×n
// Cells name their key in cell order (attr_keys), so a reader takes each
// cell's value from the front of its key's stream.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "store/format/coding.h"
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
  // A key's entry, found by key id: a tree lookup per cell showed in
  // sealing's profile. The maps own the entries and order the output.
  template <typename T>
  static T& ByKey(uint32_t key, std::map<uint32_t, T>& owner, std::vector<T*>& index) {
    if (key >= index.size()) index.resize(key + 1, nullptr);
    if (index[key] == nullptr) index[key] = &owner[key];
    return *index[key];
  }

  const SpanTable& table_;
  std::map<uint32_t, KeyStrings> strings_;
  std::map<uint32_t, std::vector<int64_t>> ints_;
  std::map<uint32_t, std::vector<uint64_t>> doubles_;
  std::vector<KeyStrings*> strings_by_key_;
  std::vector<std::vector<int64_t>*> ints_by_key_;
  std::vector<std::vector<uint64_t>*> doubles_by_key_;
};

class AttributeColumnsReader {
 public:
  // Indexes the columns (views into them are kept: they must outlive this
  // reader); values are decoded only as cells ask for them. `key_count`
  // bounds the key ids. False on damaged input.
  bool Parse(std::string_view strings, std::string_view dict, std::string_view ints,
             std::string_view doubles, uint32_t key_count);
  // Indexes only the dictionary column, for lookups that need no values
  // (pruning). False on damaged input.
  bool ParseDictionaries(std::string_view dict, uint32_t key_count);
  // Whether `key`'s dictionary holds `value`: some string cell of `key`
  // has it. Sets *holds; false on damaged input.
  bool DictionaryHolds(uint32_t key, std::string_view value, bool* holds);
  // REQUIRES: Parse. The key-local id of `value` in `key`'s dictionary, as
  // NextString returns it; nullopt when the dictionary lacks it (or is
  // damaged: NextString then fails the read).
  std::optional<uint32_t> LocalId(uint32_t key, std::string_view value);
  // The next value of `key`; false when none is left or it is damaged. A
  // string comes back as its key-local id: Intern turns it into a table id
  // only for the cells a reader keeps, so reading one trace interns a few.
  bool NextString(uint32_t key, uint32_t* local_id);
  bool NextInt(uint32_t key, uint64_t* payload);
  bool NextDouble(uint32_t key, uint64_t* payload);
  // Steps over the next `n` values of `key` of the cells' type, for rows
  // the reader does not keep: no dictionary is parsed, nothing is checked
  // against one (the column's CRC already vouched for its bytes).
  bool SkipMany(uint32_t key, CellType type, uint64_t n);
  // REQUIRES: local_id came from NextString(key); the same table for every
  // call between two Parses. Each distinct string is interned once per row
  // group: interning every cell was a hash lookup per string cell, a fifth
  // of compaction's merge.
  uint32_t Intern(uint32_t key, uint32_t local_id, SpanTable* table) {
    std::vector<uint32_t>& memo = interned_[key];
    if (memo.empty()) memo.assign(dicts_[key].size(), UINT32_MAX);
    uint32_t& id = memo[local_id];
    if (id == UINT32_MAX) id = table->strings.Intern(dicts_[key][local_id]);
    return id;
  }

 private:
  struct Stream {
    ByteReader in{std::string_view()};
    uint64_t remaining = 0;
    int64_t previous = 0;  // strings: the last local id (ids are deltas)
  };
  const std::vector<std::string_view>* Dict(uint32_t key);

  // Indexed by key id (the segment's key dictionary is small).
  std::vector<std::pair<uint64_t, std::string_view>> dict_sections_;
  std::vector<std::vector<std::string_view>> dicts_;
  std::vector<std::vector<uint32_t>> interned_;  // per key: local id -> table id
  std::vector<Stream> strings_, ints_, doubles_;
};

}  // namespace polytrace::store

// Typed attribute value columns of a row group, laid out per attribute key:
// every value of `http.route` together, then every value of `user.id`, ...
// so zstd sees each key's values side by side (a low-cardinality key
// compresses to almost nothing) and string dictionaries are per key (ids
// of a high-cardinality key are nearly sequential, stored as deltas).
//
//   column         := nkeys section*
//   section        := key n length payload   (length: of payload, so a
//                     reader finds each key's values without walking others)
//   strings payload:= zigzag(local_id - previous)×n          (versions 1-5)
//                   | 0 zigzag(local_id - previous)×n        (version 6: the
//                                                            group's dictionary)
//                   | 1 first_new code×n                     (version 6: ids in
//                     the segment's value table; code 0 is the next id not
//                     met before, first_new the first such; else id + 1)
//                   | 2 first_new bit-packed(code×n)         (version 7, for a
//                     table of 256 strings or more: a user ID's codes are
//                     random 16-bit numbers, which zstd cannot squeeze out
//                     of 3-byte varints; since version 9 these sections are
//                     in a column of their own, stored uncompressed, so a
//                     probe for a user ID reads them and nothing else)
//   dict payload   := length-prefixed string×n   (a section per key that
//                     uses the group's dictionary)
//   ints payload   := zigzag(value)×n
//   doubles payload:= 8-byte×n
// Cells name their key in cell order (attr_keys), so a reader takes each
// cell's value from the front of its key's stream.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "store/format/bitpack.h"
#include "store/format/coding.h"
#include "store/segment/value_postings.h"
#include "store/table/span_table.h"

namespace polytrace::store {

// The segment's value tables as its writer fills them (format 6): each
// key's distinct strings once, in the order the segment first holds them.
// A user ID on every span repeated its values in every row group's
// dictionary (3.3 of 24.6 bytes per span on the demo data).
// Memory grows with the distinct strings: past `max_bytes` no key takes new
// ones, and a key whose strings hardly repeat (an ID per span, which a
// table would not shrink) is closed; a closed key's later row groups keep
// a dictionary of their own, as before version 6.
//
// Since version 7 a table also knows, per string and per service, the row
// groups holding it (its postings): a search for a value too varied for the
// attribute index (a user ID) reads those groups, not every one. They are
// collected by a PostingsCollector (value_postings.h): `max_postings` in
// memory, the rest spilled beside the segment (`spill_directory`; without
// one, past `max_postings` no table keeps postings, and a search falls back
// to every group's strings).
class ValueTablesWriter {
 public:
  static constexpr uint64_t kMinCellsToJudge = 16384;
  static constexpr size_t kMaxPostings = PostingsCollector::kDefaultMaxHeld;
  explicit ValueTablesWriter(size_t max_bytes = size_t(64) << 20,
                             size_t max_postings = kMaxPostings, std::string spill_directory = "")
      : max_bytes_(max_bytes), postings_(max_postings, std::move(spill_directory)) {}
  // The row group being encoded, for postings and for where a key left its
  // table.
  void StartGroup(uint32_t group) { group_ = group; }
  bool Open(uint32_t key) const;
  // The id of `value` in `key`'s table, added when new. REQUIRES: Open(key).
  uint32_t Add(uint32_t key, std::string_view value);
  uint32_t size(uint32_t key) const;
  // Records that the current group has string `id` of `key` on a span of
  // `service` (each pair once per group).
  void Posting(uint32_t key, uint32_t id, uint32_t service);
  // Records that a row group put `cells` strings of `key` in its table.
  void Counted(uint32_t key, uint64_t cells);
  // Records that the current group keeps `key` in a dictionary of its own.
  void UsedDictionary(uint32_t key);

  struct Table {
    std::deque<std::string> values;  // by id; a deque never moves them
    absl::flat_hash_map<std::string_view, uint32_t> ids;
    uint64_t cells = 0;
    bool closed = false;
    uint32_t first_dictionary_group = UINT32_MAX;
  };
  bool postings_complete() const { return postings_.complete(); }
  PostingsCollector& postings() { return postings_; }
  // Calls `f(key, table)` per table, ascending key.
  template <typename F>
  void ForEach(F f) {
    for (auto& [key, t] : tables_) f(key, t);
  }

 private:
  std::map<uint32_t, Table> tables_;
  size_t bytes_ = 0;
  uint32_t group_ = 0;
  const size_t max_bytes_;
  PostingsCollector postings_;
};

class AttributeColumnsWriter {
 public:
  // Tables from this size on have their codes bit-packed (mode 2); below it
  // zstd does better with the varints of a few distinct codes.
  static constexpr uint32_t kPackedTableStrings = 256;
  // `tables`: the segment's value tables, which the group's strings go to
  // (keys they no longer take keep the group's dictionary).
  AttributeColumnsWriter(const SpanTable& table, ValueTablesWriter* tables)
      : table_(table), tables_(tables) {}
  // A string cell of `key` on a span of `service`.
  void AddString(uint32_t key, uint32_t table_string_id, uint32_t service);
  void AddInt(uint32_t key, int64_t value);
  void AddDouble(uint32_t key, uint64_t bits);
  // `packed`: the sections of keys whose codes are bit-packed (version 9),
  // left empty when there are none.
  void Finish(std::string* strings, std::string* dict, std::string* ints, std::string* doubles,
              std::string* packed) const;

 private:
  struct KeyStrings {
    std::vector<uint32_t> table_ids;                    // local id -> table string id
    absl::flat_hash_map<uint32_t, uint32_t> local_ids;  // table string id -> local id
    std::vector<uint32_t> stream;                       // local ids in cell order
    std::vector<uint32_t> services;                     // of each cell's span
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
  ValueTablesWriter* tables_;
  std::map<uint32_t, KeyStrings> strings_;
  std::map<uint32_t, std::vector<int64_t>> ints_;
  std::map<uint32_t, std::vector<uint64_t>> doubles_;
  std::vector<KeyStrings*> strings_by_key_;
  std::vector<std::vector<int64_t>*> ints_by_key_;
  std::vector<std::vector<uint64_t>*> doubles_by_key_;
};

// A segment's value tables (format 6), as a reader looks strings up in
// them. Implementations read the chunks they need and may fail on damage.
class ValueTables {
 public:
  virtual ~ValueTables() = default;
  // The number of strings in `key`'s table (0: none).
  virtual uint32_t Size(uint32_t key) const = 0;
  // String `id` of `key`'s table; the view lasts until the next call.
  // False when damaged.
  virtual bool Get(uint32_t key, uint32_t id, std::string_view* value) const = 0;
  // Sets *id to `value`'s id in `key`'s table (nullopt: not there). False
  // when damaged.
  virtual bool Find(uint32_t key, std::string_view value, std::optional<uint32_t>* id) const = 0;
};

class AttributeColumnsReader {
 public:
  // Indexes the columns (views into them are kept: they must outlive this
  // reader); values are decoded only as cells ask for them. `key_count`
  // bounds the key ids; `version` is the segment's; `tables` its value
  // tables (version 6); `packed` the sections of bit-packed keys (version
  // 9: a column of their own; a key has a section in one of the two).
  // False on damaged input.
  bool Parse(std::string_view strings, std::string_view dict, std::string_view ints,
             std::string_view doubles, uint32_t key_count, uint8_t version = 5,
             const ValueTables* tables = nullptr, std::string_view packed = {});
  // Indexes only the string columns, for lookups that need no values
  // (pruning). False on damaged input.
  bool ParseStrings(std::string_view strings, std::string_view dict, uint32_t key_count,
                    uint8_t version, const ValueTables* tables, std::string_view packed = {});
  // Indexes only the bit-packed sections (version 9): a probe for a key
  // found there reads no other column. False on damaged input.
  bool ParsePacked(std::string_view packed, uint32_t key_count, uint8_t version,
                   const ValueTables* tables);
  // Whether `key` has a section among the bit-packed ones (version 9).
  // REQUIRES: ParseStrings.
  bool InPacked(uint32_t key) const { return key < in_packed_.size() && in_packed_[key]; }
  // Whether some string cell of `key` holds `value` (its dictionary has it,
  // or its ids name it). Sets *holds; false on damaged input.
  bool StringsHold(uint32_t key, std::string_view value, bool* holds);
  // REQUIRES: Parse. Appends, ascending, the positions among `key`'s string
  // cells (0: its first) of those whose id is `local_id` (as LocalId gives
  // it; nullopt: none), walking a copy of the stream: nothing is consumed.
  // False on damaged input.
  bool StringPositions(uint32_t key, std::optional<uint32_t> local_id,
                       std::vector<uint64_t>* positions);
  // REQUIRES: Parse. The id of `value` among `key`'s strings, as NextString
  // returns it; nullopt when the group's dictionary or the segment's table
  // lacks it (or is damaged: reading a cell then fails).
  std::optional<uint32_t> LocalId(uint32_t key, std::string_view value);
  // The next value of `key`; false when none is left or it is damaged. A
  // string comes back as its id (in the group's dictionary or the
  // segment's value table): Intern turns it into a table id only for the
  // cells a reader keeps, so reading one trace interns a few.
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
  // of compaction's merge. False when a value table is damaged.
  bool Intern(uint32_t key, uint32_t local_id, SpanTable* table, uint32_t* id) {
    if (strings_[key].table) return InternFromTable(key, local_id, table, id);
    std::vector<uint32_t>& memo = interned_[key];
    if (memo.empty()) memo.assign(dicts_[key].size(), UINT32_MAX);
    uint32_t& interned = memo[local_id];
    if (interned == UINT32_MAX) interned = table->strings.Intern(dicts_[key][local_id]);
    *id = interned;
    return true;
  }

 private:
  struct Stream {
    ByteReader in{std::string_view()};
    uint64_t remaining = 0;
    int64_t previous = 0;   // strings: the last local id (ids are deltas)
    bool table = false;     // strings: ids in the segment's value table
    uint32_t next_new = 0;  // strings in a table: the id code 0 stands for
    // Table codes bit-packed (mode 2): read by position where they lie
    // (`view`, its block headers parsed on first use: a lookup reads a few
    // rows' codes and counts the zeros among those it steps over), or
    // unpacked into `codes` by a read that walks them all (a search's).
    bool packed = false;
    bool unpacked = false;
    bool viewed = false;
    uint64_t total = 0;  // the section's count
    std::vector<int64_t> codes;
    BitPackedView view;
    size_t next_code = 0;
    // The next table code (REQUIRES: table; `remaining` is the caller's).
    bool NextCode(uint64_t* code) {
      if (!packed) return in.GetVarint(code);
      if (unpacked) {
        if (next_code >= codes.size()) return false;
        *code = static_cast<uint64_t>(codes[next_code++]);
        return true;
      }
      if (!viewed && !View()) return false;
      if (next_code >= view.size()) return false;
      const int64_t v = view[next_code++];
      *code = static_cast<uint64_t>(v);
      return v >= 0;
    }
    bool Unpack();
    bool View();
  };
  const std::vector<std::string_view>* Dict(uint32_t key);
  bool InternFromTable(uint32_t key, uint32_t id, SpanTable* table, uint32_t* out);
  // Reads the mode (and first_new) at the head of each version 6 strings
  // section.
  bool ParseStringModes(uint32_t key_count);
  bool ParseStringColumns(std::string_view strings, std::string_view dict, std::string_view packed,
                          uint32_t key_count, uint8_t version, const ValueTables* tables,
                          bool packed_only);
  std::vector<bool> in_packed_;  // per key: its section is in the packed column
  uint8_t version_ = 5;
  const ValueTables* tables_ = nullptr;
  absl::flat_hash_map<uint64_t, uint32_t> table_interned_;  // (key, id) -> table id

  // Indexed by key id (the segment's key dictionary is small).
  std::vector<std::pair<uint64_t, std::string_view>> dict_sections_;
  std::vector<std::vector<std::string_view>> dicts_;
  std::vector<std::vector<uint32_t>> interned_;  // per key: local id -> table id
  std::vector<Stream> strings_, ints_, doubles_;
};

}  // namespace polytrace::store

// SpanMatcher: a SpanFilter compiled against one SpanTable's dictionaries,
// so matching a row compares integers; string forms and resource / event
// attributes are consulted only for tags.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "store/engine/span_filter.h"
#include "store/table/span_table.h"
#include "store/table/string_dict.h"

namespace polytrace::store {

// What a table's attributes can hold, kept by a head as spans arrive, so a
// search for a tag no row of the head can carry skips it instead of testing
// every row (a fresh search for a value nobody has scanned whole heads).
struct TagSummary {
  // What one key's cells held over some rows.
  struct KeyCells {
    uint8_t types = 0;     // a bit per CellType
    uint64_t strings = 0;  // a bit per string id (its hash, mod 64): a tiny Bloom filter
    int64_t min_int = INT64_MAX, max_int = INT64_MIN;
    void Add(uint8_t type, uint64_t payload);
  };
  static uint64_t StringBit(uint64_t id) { return 1ull << ((id * 0x9E3779B97F4A7C15ull) >> 58); }
  // Services beyond this many (by id) are summarized only with every row.
  static constexpr uint32_t kMaxServices = 256;

  std::vector<KeyCells> by_key;                       // by key id, over every row
  std::vector<std::vector<KeyCells>> by_service_key;  // [service id][key id]
  absl::flat_hash_set<std::string, ShortStringHash, ShortStringEq> event_keys;  // on any event

  // Per block of kBlockRows rows (in arrival order): a filter of its cells
  // as (key, string id), (key, int) and (key, bool), and a bit per key (its
  // id mod 64) with cells only a string form compares (doubles, complex and
  // empty values). A search for a rare value tests the rows of the blocks
  // that may hold it: a fresh search for one user scanned every row of the
  // head (~290k). The filter is a blocked Bloom filter (three bits in one
  // 64-bit word per cell, 6 bits per cell expected: ~5% false positives),
  // one memory access a cell while ingesting: 9 bytes a row.
  static constexpr uint32_t kBlockRows = 4096;
  static constexpr size_t kBlockWords = size_t(kBlockRows) * 12 * 6 / 64;  // ~12 cells a row
  struct Block {
    std::vector<uint64_t> words = std::vector<uint64_t>(kBlockWords, 0);
    uint64_t loose_keys = 0;
    void Add(uint64_t hash) { words[(hash >> 32) % kBlockWords] |= CellMask(hash); }
    bool MayContain(uint64_t hash) const {
      uint64_t mask = CellMask(hash);
      return (words[(hash >> 32) % kBlockWords] & mask) == mask;
    }
  };
  static constexpr size_t kBlockBytes = sizeof(Block) + kBlockWords * 8;
  std::vector<Block> blocks;
  static uint64_t CellHash(uint32_t key, uint8_t type, uint64_t payload);
  static uint64_t CellMask(uint64_t hash) {
    return 1ull << (hash & 63) | 1ull << ((hash >> 6) & 63) | 1ull << ((hash >> 12) & 63);
  }
  static uint64_t KeyBit(uint32_t key) { return 1ull << (key % 64); }

  // Records rows [first_row, table.rows()) of `table`, appended from `traces`.
  void Add(const SpanTable& table, uint32_t first_row, const Traces& traces);
  // The cells of `key` on the spans of `service` (nullopt: any service);
  // null when the key is on none of them.
  const KeyCells* Find(std::optional<uint32_t> service, uint32_t key) const;
};

class SpanMatcher {
 public:
  // With `summary` (the table's, complete), a tag no row can match makes
  // the whole table impossible.
  SpanMatcher(const SpanFilter& filter, const SpanTable& table,
              const TagSummary* summary = nullptr);
  // False when no row of the table can match (a name missing from its
  // dictionaries), so the caller skips it.
  bool Possible() const { return possible_; }
  // False when, by the summary's block `block`, none of its rows can match.
  bool BlockPossible(uint32_t block) const;
  bool Matches(uint32_t row) const;

 private:
  // A tag's value in the forms a cell of this table can take, so a cell is
  // compared as integers, not turned into a string (a string per cell was
  // most of a tag search's time).
  struct CompiledTag {
    std::optional<uint32_t> key;        // in dicts().keys
    std::optional<uint32_t> string_id;  // in the table's strings
    std::optional<int64_t> int_value;   // the value is an int's string form
    int8_t bool_value = -1;             // "true" 1, "false" 0, else -1
  };
  bool CellMatches(const CompiledTag& tag, size_t index, uint32_t cell) const;
  // False when, by `summary`, no row of the table can hold tag `index`.
  bool TagPossible(size_t index, const TagSummary& summary) const;
  bool TagMatches(size_t tag, uint32_t row) const;
  bool ResourceHasTag(size_t tag, uint32_t origin) const;
  bool LinksToTrace(uint32_t row) const;

  const SpanFilter& filter_;
  const SpanTable& table_;
  const TagSummary* summary_ = nullptr;
  // The tags only a span's own cells can hold (no event has the key, no
  // resource of the table has the tag): what a block's filter rules out.
  std::vector<size_t> cell_tags_;
  bool possible_ = true;
  std::optional<uint32_t> service_;
  std::optional<uint32_t> name_;
  std::vector<CompiledTag> tags_;
  // Per tag, per origin: -1 unknown, 0 no, 1 the resource has the tag.
  mutable std::vector<std::vector<int8_t>> resource_tag_cache_;
};

}  // namespace polytrace::store

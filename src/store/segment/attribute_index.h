// AttributeIndex: a segment's index from attribute (key, value) to the row
// groups that hold it, so an attribute search reads only those groups
// instead of scanning every one (format version 4; docs/store-format.md).
//
// Values are indexed in their string form (ValueToString), which is what a
// search compares (Jaeger tags are strings; TraceQL's typed comparisons
// are checked exactly on the rows read), over span attributes of every
// type and event attributes (Jaeger's log fields). Resource attributes are
// segment-wide (the footer's origins) and not indexed here.
//
// Every key gets its presence: the groups where it occurs at all. A key's
// values are indexed too unless the key is too varied to pay for itself
// (more distinct (value, group) pairs than kMaxPairsPerSpan of the spans,
// e.g. a user ID on every span): postings of such a key would cost about a
// byte per span, more than all its compressed values. Its search falls
// back to presence and the group's dictionary.
//
//   index    := nkeys key*                      (keys sorted by name)
//   key      := name(length-prefixed) flags(u8: 1 = values indexed) postings
//               events_postings (the groups where an event has the key)
//               [nvalues (value(length-prefixed) postings)*]   (values sorted)
//   postings := n, then n varint row-group indexes, each as the delta from
//               the previous (the first from 0)
//
// Thread model: the builder belongs to one segment writer; a decoded index
// is immutable and shared by readers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "store/table/span_table.h"

namespace polytrace::store {

// (key, string form of a value): what one row group holds, each once.
using AttributePairs = absl::flat_hash_set<std::pair<std::string, std::string>>;

// What a row group holds as the index sees it.
struct GroupAttributes {
  absl::flat_hash_set<std::string> keys;        // every key on a span or an event
  absl::flat_hash_set<std::string> event_keys;  // the keys on an event
  AttributePairs pairs;                         // (key, string form) of the keys whose values count
};

// Collects rows `rows` of `table`: every span attribute and event attribute.
// String and complex cells are read from `values` (the table `table` was
// gathered from, or `table` itself). `values_of(key)` says whether a key's
// values count (null: every key's), so a key the index keeps by presence
// costs no string per value.
void CollectAttributes(const SpanTable& table, const SpanTable& values,
                       std::span<const uint32_t> rows,
                       const std::function<bool(std::string_view)>& values_of,
                       GroupAttributes* out);

class AttributeIndexBuilder {
 public:
  // Indexing a key's values costs a few bytes per (value, group) pair; a key
  // with more pairs than this share of the spans is indexed by presence only.
  static constexpr uint64_t kSpansPerPair = 64;
  static constexpr uint64_t kMinPairsPerKey = 256;

  // Adds row group `group` (groups come in order) of `rows` spans.
  void AddGroup(uint32_t group, uint32_t rows, const GroupAttributes& attributes);
  // False once `key` is indexed by presence only: its values need not be
  // collected any more.
  bool IndexesValuesOf(std::string_view key) const;
  std::string Encode() const;

 private:
  struct KeyEntry {
    std::vector<uint32_t> presence;
    std::vector<uint32_t> on_events;  // the groups where an event has the key
    absl::flat_hash_map<std::string, std::vector<uint32_t>> values;
    uint64_t pairs = 0;
    bool values_indexed = true;  // false once the key had too many pairs
  };
  absl::flat_hash_map<std::string, KeyEntry> keys_;
  uint64_t spans_ = 0;
};

class AttributeIndex {
 public:
  // False on damaged input; group indexes are checked against `row_groups`.
  static bool Decode(std::string_view raw, size_t row_groups, AttributeIndex* out);

  // The row groups that may hold attribute `key` with string form `value`,
  // ascending. `exact`: the groups listed hold it (values indexed);
  // otherwise they only hold the key, and a group must be looked into:
  // its string dictionary, and its events only if it is in `on_events`.
  struct Candidates {
    std::span<const uint32_t> groups;
    bool exact = false;
    std::span<const uint32_t> on_events;
  };
  Candidates Find(std::string_view key, std::string_view value) const;
  size_t keys() const { return keys_.size(); }
  size_t indexed_keys() const;

 private:
  struct KeyEntry {
    std::vector<uint32_t> presence;
    std::vector<uint32_t> on_events;
    bool values_indexed = false;
    absl::flat_hash_map<std::string, std::vector<uint32_t>> values;
  };
  absl::flat_hash_map<std::string, KeyEntry> keys_;
};

}  // namespace polytrace::store

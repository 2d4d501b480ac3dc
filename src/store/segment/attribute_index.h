// AttributeIndex: a segment's index from attribute (key, value) to the row
// groups that hold it, so an attribute search reads only those groups
// instead of scanning every one (format version 4; per service since 5;
// docs/store-format.md).
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
// Since version 5 every entry is also kept per service (the services of the
// spans holding it): a Jaeger search always names a service, and a tag
// common in the segment (status 500, on another service's spans) but absent
// from that service's spans rules out every group without reading one.
//
//   index    := nkeys key*  [nscoped scoped*]    (keys sorted by name; the
//               scoped entries, version 5, sorted by (service, name))
//   key      := name(length-prefixed) entry
//   scoped   := service(length-prefixed) name(length-prefixed) entry
//   entry    := flags(u8: 1 = values indexed) postings
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
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "store/format/coding.h"
#include "store/table/span_table.h"

namespace polytrace::store {

// (key, string form of a value): what one row group holds, each once.
using AttributePairs = absl::flat_hash_set<std::pair<std::string, std::string>>;

// What a row group holds as the index sees it: over every span, and over
// each service's spans.
struct AttributeSet {
  absl::flat_hash_set<std::string> keys;        // every key on a span or an event
  absl::flat_hash_set<std::string> event_keys;  // the keys on an event
  AttributePairs pairs;                         // (key, string form) of the keys whose values count
};
struct GroupAttributes : AttributeSet {
  // Node-based: CollectAttributes keeps pointers to the sets it fills.
  std::unordered_map<std::string, AttributeSet> by_service;
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
  // Adds `set` to `keys`; for a service's entries, `any` is the
  // segment-wide ones, whose decision to index a key's values they follow.
  static void AddSet(uint32_t group, const AttributeSet& set,
                     absl::flat_hash_map<std::string, KeyEntry>& keys,
                     const absl::flat_hash_map<std::string, KeyEntry>* any = nullptr);
  static void EncodeEntry(const KeyEntry& k, std::string* out);
  absl::flat_hash_map<std::string, KeyEntry> keys_;
  // (service, key): the same over one service's spans; a key's values are
  // indexed here when (and as long as) keys_ indexes them.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, KeyEntry>> by_service_;
  uint64_t spans_ = 0;
};

class AttributeIndex {
 public:
  // False on damaged input; group indexes are checked against `row_groups`.
  // `per_service`: the index has scoped entries (format version 5).
  static bool Decode(std::string_view raw, size_t row_groups, bool per_service,
                     AttributeIndex* out);

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
  // The same over the spans of `service` only (and their events); without
  // per-service entries (version 4), Find's answer.
  Candidates FindForService(std::string_view service, std::string_view key,
                            std::string_view value) const;
  // The row groups where a span or an event holds `key` at all, ascending
  // (empty: none does).
  std::span<const uint32_t> Presence(std::string_view key) const;
  bool per_service() const { return per_service_; }
  size_t keys() const { return keys_.size(); }
  size_t indexed_keys() const;

 private:
  struct KeyEntry {
    std::vector<uint32_t> presence;
    std::vector<uint32_t> on_events;
    bool values_indexed = false;
    absl::flat_hash_map<std::string, std::vector<uint32_t>> values;
  };
  using Keys = absl::flat_hash_map<std::string, KeyEntry>;
  static bool DecodeEntry(ByteReader& in, size_t row_groups, KeyEntry* k);
  static Candidates FindIn(const Keys& keys, std::string_view key, std::string_view value);
  Keys keys_;
  absl::flat_hash_map<std::string, Keys> by_service_;
  bool per_service_ = false;
};

}  // namespace polytrace::store

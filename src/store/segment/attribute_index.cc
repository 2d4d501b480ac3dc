#include "store/segment/attribute_index.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "store/format/coding.h"
#include "store/table/value_codec.h"

namespace polytrace::store {
namespace {

void PutPostings(std::string* out, const std::vector<uint32_t>& groups) {
  PutVarint(out, groups.size());
  uint32_t previous = 0;
  for (uint32_t g : groups) {
    PutVarint(out, g - previous);
    previous = g;
  }
}

bool GetPostings(ByteReader& in, size_t row_groups, std::vector<uint32_t>* groups) {
  uint64_t n;
  if (!in.GetVarint(&n) || n > row_groups || n > in.remaining()) return false;
  groups->resize(n);
  uint64_t previous = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t delta;
    if (!in.GetVarint(&delta) || (i > 0 && delta == 0)) return false;  // strictly ascending
    previous += delta;
    if (previous >= row_groups) return false;
    (*groups)[i] = static_cast<uint32_t>(previous);
  }
  return true;
}

// A key's cells as a row group is walked: whether its values count, and
// the last few (type, payload) pairs seen, so a value repeated thousands of
// times (a route, a status code) is hashed into the set once, not per cell.
struct KeyCells {
  int8_t values = -1;  // -1 not asked yet, 0 presence only, 1 values count
  bool present = false;
  std::array<std::pair<uint8_t, uint64_t>, 64> recent;
  KeyCells() { recent.fill({0xFF, 0}); }
};

}  // namespace

void CollectAttributes(const SpanTable& table, const SpanTable& values,
                       std::span<const uint32_t> rows,
                       const std::function<bool(std::string_view)>& values_of,
                       GroupAttributes* out) {
  const StringDict& keys = table.dicts().keys;
  std::vector<KeyCells> by_key(keys.size());
  absl::flat_hash_set<std::tuple<uint32_t, uint8_t, uint64_t>> cells;  // distinct, values counting
  Arena scratch;
  for (uint32_t row : rows) {
    for (uint32_t c = table.AttrBegin(row); c < table.AttrEnd(row); ++c) {
      uint32_t key = table.attr_key[c];
      KeyCells& k = by_key[key];
      k.present = true;
      if (k.values < 0) k.values = !values_of || values_of(keys.Get(key)) ? 1 : 0;
      if (k.values == 0) continue;
      std::pair<uint8_t, uint64_t> cell{table.attr_type[c], table.attr_value[c]};
      auto& slot = k.recent[(cell.second ^ (cell.second >> 6)) & 63];
      if (slot == cell) continue;
      slot = cell;
      cells.emplace(key, cell.first, cell.second);
    }
    if (!(ExtrasPresence(table.Extras(row)) & kExtrasEvents)) continue;
    Span span;
    span.start_time_unix_nano = table.start[row];
    if (!DecodeSpanExtras(table.Extras(row), scratch, &span)) continue;  // the check reports it
    for (const SpanEvent& e : span.events) {
      for (const KeyValue& kv : e.attributes) {
        out->keys.emplace(kv.key);
        out->event_keys.emplace(kv.key);
        if (!values_of || values_of(kv.key)) {
          out->pairs.emplace(std::string(kv.key), ValueToString(kv.value));
        }
      }
    }
  }
  for (uint32_t key = 0; key < by_key.size(); ++key) {
    if (by_key[key].present) out->keys.emplace(keys.Get(key));
  }
  for (const auto& [key, type, payload] : cells) {
    out->pairs.emplace(
        std::string(keys.Get(key)),
        ValueToString(values.ValueOf(static_cast<CellType>(type), payload, scratch)));
  }
}

void AttributeIndexBuilder::AddGroup(uint32_t group, uint32_t rows,
                                     const GroupAttributes& attributes) {
  spans_ += rows;
  for (const std::string& key : attributes.keys) keys_[key].presence.push_back(group);
  for (const std::string& key : attributes.event_keys) keys_[key].on_events.push_back(group);
  for (const auto& [key, value] : attributes.pairs) {
    KeyEntry& k = keys_[key];
    if (!k.values_indexed) continue;
    ++k.pairs;
    k.values[value].push_back(group);
  }
  // Checked as groups arrive, so a segment of millions of spans never holds
  // the values of a key it will not index.
  uint64_t cap = std::max(kMinPairsPerKey, spans_ / kSpansPerPair);
  for (auto& [key, k] : keys_) {
    if (k.values_indexed && k.pairs > cap) {
      k.values_indexed = false;
      k.values = {};
    }
  }
}

bool AttributeIndexBuilder::IndexesValuesOf(std::string_view key) const {
  auto k = keys_.find(std::string(key));
  return k == keys_.end() || k->second.values_indexed;
}

std::string AttributeIndexBuilder::Encode() const {
  std::vector<const std::pair<const std::string, KeyEntry>*> keys;
  for (const auto& entry : keys_) keys.push_back(&entry);
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  PutVarint(&out, keys.size());
  for (const auto* entry : keys) {
    const KeyEntry& k = entry->second;
    PutLengthPrefixed(&out, entry->first);
    out.push_back(k.values_indexed ? 1 : 0);
    PutPostings(&out, k.presence);
    PutPostings(&out, k.on_events);
    if (!k.values_indexed) continue;
    std::vector<const std::pair<const std::string, std::vector<uint32_t>>*> values;
    for (const auto& v : k.values) values.push_back(&v);
    std::sort(values.begin(), values.end(), [](auto* a, auto* b) { return a->first < b->first; });
    PutVarint(&out, values.size());
    for (const auto* v : values) {
      PutLengthPrefixed(&out, v->first);
      PutPostings(&out, v->second);
    }
  }
  return out;
}

bool AttributeIndex::Decode(std::string_view raw, size_t row_groups, AttributeIndex* out) {
  ByteReader in(raw);
  uint64_t nkeys;
  if (!in.GetVarint(&nkeys) || nkeys > in.remaining()) return false;
  out->keys_.reserve(nkeys);
  for (uint64_t i = 0; i < nkeys; ++i) {
    std::string_view name;
    uint8_t flags;
    if (!in.GetLengthPrefixed(&name) || !in.GetByte(&flags) || flags > 1) return false;
    KeyEntry& k = out->keys_[std::string(name)];
    k.values_indexed = flags == 1;
    if (!GetPostings(in, row_groups, &k.presence) || !GetPostings(in, row_groups, &k.on_events)) {
      return false;
    }
    if (!k.values_indexed) continue;
    uint64_t nvalues;
    if (!in.GetVarint(&nvalues) || nvalues > in.remaining()) return false;
    k.values.reserve(nvalues);
    for (uint64_t j = 0; j < nvalues; ++j) {
      std::string_view value;
      if (!in.GetLengthPrefixed(&value) ||
          !GetPostings(in, row_groups, &k.values[std::string(value)])) {
        return false;
      }
    }
  }
  return in.done();
}

AttributeIndex::Candidates AttributeIndex::Find(std::string_view key,
                                                std::string_view value) const {
  // std::string keys: Debian's Abseil hashes its own string_view, not std's.
  auto k = keys_.find(std::string(key));
  if (k == keys_.end()) return {{}, true, {}};  // no span or event of the segment has the key
  if (!k->second.values_indexed) return {k->second.presence, false, k->second.on_events};
  auto v = k->second.values.find(std::string(value));
  if (v == k->second.values.end()) return {{}, true, k->second.on_events};
  return {v->second, true, k->second.on_events};
}

size_t AttributeIndex::indexed_keys() const {
  return std::count_if(keys_.begin(), keys_.end(),
                       [](const auto& k) { return k.second.values_indexed; });
}

}  // namespace polytrace::store

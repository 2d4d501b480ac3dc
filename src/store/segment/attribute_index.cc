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

// A key's cells as a row group is walked: whether its values count, the
// services whose spans have it, and the last few (service, type, payload)
// cells seen, so a value repeated thousands of times (a route, a status
// code) is hashed into the set once, not per cell.
struct KeyCells {
  int8_t values = -1;  // -1 not asked yet, 0 presence only, 1 values count
  bool present = false;
  std::vector<bool> services;  // by service id, sized on first use
  std::array<std::tuple<uint32_t, uint8_t, uint64_t>, 64> recent;
  KeyCells() { recent.fill({0, 0xFF, 0}); }
};

}  // namespace

void CollectAttributes(const SpanTable& table, const SpanTable& values,
                       std::span<const uint32_t> rows,
                       const std::function<bool(std::string_view)>& values_of,
                       GroupAttributes* out) {
  const StringDict& keys = table.dicts().keys;
  const StringDict& services = table.dicts().services;
  std::vector<KeyCells> by_key(keys.size());
  // Distinct (key, service, type, payload) of the keys whose values count.
  absl::flat_hash_set<std::tuple<uint32_t, uint32_t, uint8_t, uint64_t>> cells;
  // Each service's set, by service id, found once per group, not per cell.
  std::vector<AttributeSet*> scoped_sets(services.size(), nullptr);
  auto scoped = [&](uint32_t service) -> AttributeSet& {
    AttributeSet*& set = scoped_sets[service];
    if (set == nullptr) set = &out->by_service[std::string(services.Get(service))];
    return *set;
  };
  Arena scratch;
  for (uint32_t row : rows) {
    const uint32_t service = table.service[row];
    for (uint32_t c = table.AttrBegin(row); c < table.AttrEnd(row); ++c) {
      uint32_t key = table.attr_key[c];
      KeyCells& k = by_key[key];
      k.present = true;
      if (k.services.size() <= service) k.services.resize(services.size(), false);
      k.services[service] = true;
      if (k.values < 0) k.values = !values_of || values_of(keys.Get(key)) ? 1 : 0;
      if (k.values == 0) continue;
      std::tuple<uint32_t, uint8_t, uint64_t> cell{service, table.attr_type[c],
                                                   table.attr_value[c]};
      uint64_t payload = table.attr_value[c];
      auto& slot = k.recent[(payload ^ (payload >> 6) ^ (uint64_t{service} * 0x9E3779B9u)) & 63];
      if (slot == cell) continue;
      slot = cell;
      cells.emplace(key, service, table.attr_type[c], payload);
    }
    if (!(ExtrasPresence(table.Extras(row)) & kExtrasEvents)) continue;
    Span span;
    span.start_time_unix_nano = table.start[row];
    if (!DecodeSpanExtras(table.Extras(row), scratch, &span)) continue;  // the check reports it
    for (const SpanEvent& e : span.events) {
      for (const KeyValue& kv : e.attributes) {
        AttributeSet& its = scoped(service);
        std::string key(kv.key);
        out->keys.insert(key);
        out->event_keys.insert(key);
        its.keys.insert(key);
        its.event_keys.insert(key);
        if (!values_of || values_of(kv.key)) {
          std::pair<std::string, std::string> pair{std::move(key), ValueToString(kv.value)};
          its.pairs.insert(pair);
          out->pairs.insert(std::move(pair));
        }
      }
    }
  }
  for (uint32_t key = 0; key < by_key.size(); ++key) {
    if (!by_key[key].present) continue;
    out->keys.emplace(keys.Get(key));
    for (uint32_t service = 0; service < by_key[key].services.size(); ++service) {
      if (by_key[key].services[service]) scoped(service).keys.emplace(keys.Get(key));
    }
  }
  for (const auto& [key, service, type, payload] : cells) {
    std::pair<std::string, std::string> pair{
        std::string(keys.Get(key)),
        ValueToString(values.ValueOf(static_cast<CellType>(type), payload, scratch))};
    scoped(service).pairs.insert(pair);
    out->pairs.insert(std::move(pair));
  }
}

void AttributeIndexBuilder::AddSet(uint32_t group, const AttributeSet& set,
                                   absl::flat_hash_map<std::string, KeyEntry>& keys,
                                   const absl::flat_hash_map<std::string, KeyEntry>* any) {
  for (const std::string& key : set.keys) keys[key].presence.push_back(group);
  for (const std::string& key : set.event_keys) keys[key].on_events.push_back(group);
  for (const auto& [key, value] : set.pairs) {
    KeyEntry& k = keys[key];
    if (any != nullptr && k.values_indexed) {  // a service's entry follows the segment-wide one
      auto whole = any->find(key);
      k.values_indexed = whole == any->end() || whole->second.values_indexed;
    }
    if (!k.values_indexed) continue;
    ++k.pairs;
    k.values[value].push_back(group);
  }
}

void AttributeIndexBuilder::AddGroup(uint32_t group, uint32_t rows,
                                     const GroupAttributes& attributes) {
  spans_ += rows;
  AddSet(group, attributes, keys_);
  for (const auto& [service, set] : attributes.by_service) {
    AddSet(group, set, by_service_[service], &keys_);
  }
  // Checked as groups arrive, so a segment of millions of spans never holds
  // the values of a key it will not index. The per-service entries follow
  // the segment-wide decision.
  uint64_t cap = std::max(kMinPairsPerKey, spans_ / kSpansPerPair);
  for (auto& [key, k] : keys_) {
    if (k.values_indexed && k.pairs > cap) {
      k.values_indexed = false;
      k.values = {};
      for (auto& [service, scoped] : by_service_) {
        auto it = scoped.find(key);
        if (it == scoped.end()) continue;
        it->second.values_indexed = false;
        it->second.values = {};
      }
    }
  }
}

bool AttributeIndexBuilder::IndexesValuesOf(std::string_view key) const {
  auto k = keys_.find(std::string(key));
  return k == keys_.end() || k->second.values_indexed;
}

void AttributeIndexBuilder::EncodeEntry(const KeyEntry& k, std::string* out) {
  out->push_back(k.values_indexed ? 1 : 0);
  PutPostings(out, k.presence);
  PutPostings(out, k.on_events);
  if (!k.values_indexed) return;
  std::vector<const std::pair<const std::string, std::vector<uint32_t>>*> values;
  for (const auto& v : k.values) values.push_back(&v);
  std::sort(values.begin(), values.end(), [](auto* a, auto* b) { return a->first < b->first; });
  PutVarint(out, values.size());
  for (const auto* v : values) {
    PutLengthPrefixed(out, v->first);
    PutPostings(out, v->second);
  }
}

std::string AttributeIndexBuilder::Encode() const {
  auto sorted = [](const auto& map) {
    std::vector<const typename std::decay_t<decltype(map)>::value_type*> entries;
    for (const auto& entry : map) entries.push_back(&entry);
    std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
    return entries;
  };
  std::string out;
  auto keys = sorted(keys_);
  PutVarint(&out, keys.size());
  for (const auto* entry : keys) {
    PutLengthPrefixed(&out, entry->first);
    EncodeEntry(entry->second, &out);
  }
  size_t scoped = 0;
  for (const auto& [service, entries] : by_service_) scoped += entries.size();
  PutVarint(&out, scoped);
  for (const auto* service : sorted(by_service_)) {
    for (const auto* entry : sorted(service->second)) {
      PutLengthPrefixed(&out, service->first);
      PutLengthPrefixed(&out, entry->first);
      EncodeEntry(entry->second, &out);
    }
  }
  return out;
}

bool AttributeIndex::DecodeEntry(ByteReader& in, size_t row_groups, KeyEntry* k) {
  uint8_t flags;
  if (!in.GetByte(&flags) || flags > 1) return false;
  k->values_indexed = flags == 1;
  if (!GetPostings(in, row_groups, &k->presence) || !GetPostings(in, row_groups, &k->on_events)) {
    return false;
  }
  if (!k->values_indexed) return true;
  uint64_t nvalues;
  if (!in.GetVarint(&nvalues) || nvalues > in.remaining()) return false;
  k->values.reserve(nvalues);
  for (uint64_t j = 0; j < nvalues; ++j) {
    std::string_view value;
    if (!in.GetLengthPrefixed(&value) ||
        !GetPostings(in, row_groups, &k->values[std::string(value)])) {
      return false;
    }
  }
  return true;
}

bool AttributeIndex::Decode(std::string_view raw, size_t row_groups, bool per_service,
                            AttributeIndex* out) {
  ByteReader in(raw);
  uint64_t nkeys;
  if (!in.GetVarint(&nkeys) || nkeys > in.remaining()) return false;
  out->keys_.reserve(nkeys);
  for (uint64_t i = 0; i < nkeys; ++i) {
    std::string_view name;
    if (!in.GetLengthPrefixed(&name) ||
        !DecodeEntry(in, row_groups, &out->keys_[std::string(name)])) {
      return false;
    }
  }
  out->per_service_ = per_service;
  if (!per_service) return in.done();
  uint64_t nscoped;
  if (!in.GetVarint(&nscoped) || nscoped > in.remaining()) return false;
  for (uint64_t i = 0; i < nscoped; ++i) {
    std::string_view service, name;
    if (!in.GetLengthPrefixed(&service) || !in.GetLengthPrefixed(&name) ||
        !DecodeEntry(in, row_groups, &out->by_service_[std::string(service)][std::string(name)])) {
      return false;
    }
  }
  return in.done();
}

AttributeIndex::Candidates AttributeIndex::FindIn(const Keys& keys, std::string_view key,
                                                  std::string_view value) {
  // std::string keys: Debian's Abseil hashes its own string_view, not std's.
  auto k = keys.find(std::string(key));
  if (k == keys.end()) return {{}, true, {}};  // no span or event here has the key
  if (!k->second.values_indexed) return {k->second.presence, false, k->second.on_events};
  auto v = k->second.values.find(std::string(value));
  if (v == k->second.values.end()) return {{}, true, k->second.on_events};
  return {v->second, true, k->second.on_events};
}

AttributeIndex::Candidates AttributeIndex::Find(std::string_view key,
                                                std::string_view value) const {
  return FindIn(keys_, key, value);
}

AttributeIndex::Candidates AttributeIndex::FindForService(std::string_view service,
                                                          std::string_view key,
                                                          std::string_view value) const {
  if (!per_service_) return Find(key, value);
  auto scoped = by_service_.find(std::string(service));
  if (scoped == by_service_.end()) return {{}, true, {}};  // the service has no attribute here
  return FindIn(scoped->second, key, value);
}

std::span<const uint32_t> AttributeIndex::Presence(std::string_view key) const {
  auto k = keys_.find(std::string(key));
  if (k == keys_.end()) return {};
  return k->second.presence;
}

size_t AttributeIndex::indexed_keys() const {
  return std::count_if(keys_.begin(), keys_.end(),
                       [](const auto& k) { return k.second.values_indexed; });
}

}  // namespace polytrace::store

#include "store/engine/span_matcher.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "store/table/value_codec.h"

namespace polytrace::store {

void TagSummary::KeyCells::Add(uint8_t type, uint64_t payload) {
  types |= uint8_t(1u << type);
  if (type == uint8_t(CellType::kString)) strings |= StringBit(payload);
  if (type == uint8_t(CellType::kInt)) {
    min_int = std::min(min_int, int64_t(payload));
    max_int = std::max(max_int, int64_t(payload));
  }
}

// A cell as the block filters see it: strings by id, ints by value, bools
// by type; the key mixed in so that equal payloads of two keys differ.
uint64_t TagSummary::CellHash(uint32_t key, uint8_t type, uint64_t payload) {
  if (type == uint8_t(CellType::kBoolTrue) || type == uint8_t(CellType::kBoolFalse)) payload = 0;
  uint64_t h = payload * 0x9E3779B97F4A7C15ull + (uint64_t(key) << 8 | type);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

void TagSummary::Add(const SpanTable& table, uint32_t first_row, const Traces& traces) {
  const size_t keys = table.dicts().keys.size();
  if (by_key.size() < keys) by_key.resize(keys);
  for (uint32_t row = first_row; row < table.rows(); ++row) {
    if (row / kBlockRows >= blocks.size()) blocks.emplace_back();
    Block& block = blocks[row / kBlockRows];
    for (uint32_t c = table.AttrBegin(row); c < table.AttrEnd(row); ++c) {
      uint8_t type = table.attr_type[c];
      if (type == uint8_t(CellType::kString) || type == uint8_t(CellType::kInt) ||
          type == uint8_t(CellType::kBoolTrue) || type == uint8_t(CellType::kBoolFalse)) {
        block.Add(CellHash(table.attr_key[c], type, table.attr_value[c]));
      } else {
        block.loose_keys |= KeyBit(table.attr_key[c]);
      }
    }
    uint32_t service = table.service[row];
    std::vector<KeyCells>* scoped = nullptr;
    if (service < kMaxServices) {
      if (by_service_key.size() <= service) by_service_key.resize(service + 1);
      scoped = &by_service_key[service];
    }
    for (uint32_t c = table.AttrBegin(row); c < table.AttrEnd(row); ++c) {
      uint32_t key = table.attr_key[c];
      by_key[key].Add(table.attr_type[c], table.attr_value[c]);
      if (scoped == nullptr) continue;
      if (scoped->size() <= key) scoped->resize(key + 1);  // only the keys this service uses
      (*scoped)[key].Add(table.attr_type[c], table.attr_value[c]);
    }
  }
  std::string_view last;  // events of a batch mostly repeat their keys
  for (const ResourceSpans& rs : traces.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        for (const SpanEvent& e : span.events) {
          for (const KeyValue& kv : e.attributes) {
            if (ShortStringEq()(kv.key, last)) continue;
            last = kv.key;
            if (!event_keys.contains(kv.key)) event_keys.emplace(kv.key);
          }
        }
      }
    }
  }
}

const TagSummary::KeyCells* TagSummary::Find(std::optional<uint32_t> service, uint32_t key) const {
  const std::vector<KeyCells>* cells = &by_key;
  if (service && *service < kMaxServices) {
    if (*service >= by_service_key.size()) return nullptr;  // no row of the service
    cells = &by_service_key[*service];
  }
  if (key >= cells->size() || (*cells)[key].types == 0) return nullptr;
  return &(*cells)[key];
}

SpanMatcher::SpanMatcher(const SpanFilter& filter, const SpanTable& table,
                         const TagSummary* summary)
    : filter_(filter), table_(table) {
  const TableDicts& d = table.dicts();
  if (!filter.service.empty()) {
    service_ = d.services.Find(filter.service);
    possible_ = possible_ && service_.has_value();
  }
  if (!filter.operation.empty()) {
    name_ = d.names.Find(filter.operation);
    possible_ = possible_ && name_.has_value();
  }
  for (const auto& [key, value] : filter.tags) {
    CompiledTag& tag = tags_.emplace_back();
    tag.key = d.keys.Find(key);
    tag.string_id = table.strings.Find(value);
    int64_t n = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (error == std::errc() && end == value.data() + value.size() && std::to_string(n) == value) {
      tag.int_value = n;
    }
    tag.bool_value = value == "true" ? 1 : value == "false" ? 0 : -1;
  }
  resource_tag_cache_.assign(filter.tags.size(), std::vector<int8_t>(d.origins.size(), -1));
  if (summary == nullptr) return;
  summary_ = summary;
  for (size_t i = 0; i < tags_.size() && possible_; ++i) {
    possible_ = TagPossible(i, *summary);
    bool on_events = summary->event_keys.contains(filter_.tags[i].first);
    bool on_resources = false;
    for (uint32_t origin = 0; origin < d.origins.size() && !on_resources; ++origin) {
      on_resources = ResourceHasTag(i, origin);
    }
    if (tags_[i].key && !on_events && !on_resources) cell_tags_.push_back(i);
  }
}

bool SpanMatcher::BlockPossible(uint32_t block) const {
  if (summary_ == nullptr || block >= summary_->blocks.size()) return true;
  const TagSummary::Block& b = summary_->blocks[block];
  auto has = [&](uint32_t key, CellType type, uint64_t payload) {
    return b.MayContain(TagSummary::CellHash(key, uint8_t(type), payload));
  };
  for (size_t i : cell_tags_) {
    const CompiledTag& tag = tags_[i];
    uint32_t key = *tag.key;
    bool may = (b.loose_keys & TagSummary::KeyBit(key)) ||
               (tag.string_id && has(key, CellType::kString, *tag.string_id)) ||
               (tag.int_value && has(key, CellType::kInt, uint64_t(*tag.int_value))) ||
               (tag.bool_value == 1 && has(key, CellType::kBoolTrue, 0)) ||
               (tag.bool_value == 0 && has(key, CellType::kBoolFalse, 0));
    if (!may) return false;
  }
  return true;
}

bool SpanMatcher::TagPossible(size_t index, const TagSummary& summary) const {
  const std::string& key = filter_.tags[index].first;
  if (summary.event_keys.contains(key)) return true;  // events compare string forms
  for (uint32_t origin = 0; origin < table_.dicts().origins.size(); ++origin) {
    if (ResourceHasTag(index, origin)) return true;
  }
  const CompiledTag& tag = tags_[index];
  if (!tag.key) return false;  // no span attribute has the key
  const TagSummary::KeyCells* cells = summary.Find(service_, *tag.key);
  if (cells == nullptr) return false;  // not on the spans searched
  auto seen = [&](CellType type) { return (cells->types & (1u << uint8_t(type))) != 0; };
  // Doubles, complex and empty values match by their string form: not
  // ruled out here.
  return seen(CellType::kDouble) || seen(CellType::kComplex) || seen(CellType::kEmpty) ||
         (seen(CellType::kString) && tag.string_id &&
          (cells->strings & TagSummary::StringBit(*tag.string_id))) ||
         (seen(CellType::kInt) && tag.int_value && cells->min_int <= *tag.int_value &&
          *tag.int_value <= cells->max_int) ||
         (seen(CellType::kBoolTrue) && tag.bool_value == 1) ||
         (seen(CellType::kBoolFalse) && tag.bool_value == 0);
}

bool SpanMatcher::Matches(uint32_t row) const {
  const SpanTable& t = table_;
  if (service_ && t.service[row] != *service_) return false;
  if (name_ && t.name[row] != *name_) return false;
  if (filter_.kind && t.kind[row] != static_cast<uint8_t>(*filter_.kind)) return false;
  if (filter_.status && t.status[row] != static_cast<uint8_t>(*filter_.status)) return false;
  uint64_t start = t.start[row];
  if (start < filter_.start_min_nanos || start > filter_.start_max_nanos) return false;
  uint64_t duration = t.end[row] > start ? t.end[row] - start : 0;
  if (filter_.min_duration_nanos && duration < *filter_.min_duration_nanos) return false;
  if (filter_.max_duration_nanos && duration > *filter_.max_duration_nanos) return false;
  for (size_t i = 0; i < filter_.tags.size(); ++i) {
    if (!TagMatches(i, row)) return false;
  }
  return !filter_.linked_trace || LinksToTrace(row);
}

bool SpanMatcher::LinksToTrace(uint32_t row) const {
  // Links hold the raw ID bytes: most rows are ruled out without decoding.
  std::string_view extras = table_.Extras(row);
  if (extras.find(filter_.linked_trace->AsBytes()) == std::string_view::npos) return false;
  Arena scratch;
  Span span;
  if (!DecodeSpanExtras(extras, scratch, &span)) return false;
  for (const SpanLink& link : span.links) {
    if (link.trace_id == *filter_.linked_trace) return true;
  }
  return false;
}

bool SpanMatcher::CellMatches(const CompiledTag& tag, size_t index, uint32_t cell) const {
  uint64_t payload = table_.attr_value[cell];
  switch (static_cast<CellType>(table_.attr_type[cell])) {
    case CellType::kString: return tag.string_id && payload == *tag.string_id;
    case CellType::kInt: return tag.int_value && static_cast<int64_t>(payload) == *tag.int_value;
    case CellType::kBoolTrue: return tag.bool_value == 1;
    case CellType::kBoolFalse: return tag.bool_value == 0;
    default: {  // doubles, arrays, maps, bytes: by their string form
      Arena scratch;
      return ValueToString(table_.CellValue(cell, scratch)) == filter_.tags[index].second;
    }
  }
}

bool SpanMatcher::TagMatches(size_t tag, uint32_t row) const {
  const auto& [key, want] = filter_.tags[tag];
  if (tags_[tag].key) {
    for (uint32_t c = table_.AttrBegin(row); c < table_.AttrEnd(row); ++c) {
      if (table_.attr_key[c] == *tags_[tag].key && CellMatches(tags_[tag], tag, c)) return true;
    }
  }
  if (ResourceHasTag(tag, table_.origin[row])) return true;
  // Event (Jaeger "log") fields: decoded only when the row has events whose
  // encoding holds the key at all.
  std::string_view extras = table_.Extras(row);
  if (!(ExtrasPresence(extras) & kExtrasEvents) || extras.find(key) == std::string_view::npos) {
    return false;
  }
  Arena scratch;
  Span span;
  span.start_time_unix_nano = table_.start[row];
  if (!DecodeSpanExtras(extras, scratch, &span)) return false;
  for (const SpanEvent& e : span.events) {
    const AnyValue* v = FindAttribute(e.attributes, key);
    if (v != nullptr && ValueToString(*v) == want) return true;
  }
  return false;
}

bool SpanMatcher::ResourceHasTag(size_t tag, uint32_t origin) const {
  int8_t& cached = resource_tag_cache_[tag][origin];
  if (cached < 0) {
    Arena scratch;
    ResourceSpans rs;
    ScopeSpans ss;
    cached = 0;
    if (DecodeOrigin(table_.dicts().origins.Get(origin), scratch, &rs, &ss)) {
      const AnyValue* v = FindAttribute(rs.resource.attributes, filter_.tags[tag].first);
      cached = v != nullptr && ValueToString(*v) == filter_.tags[tag].second;
    }
  }
  return cached == 1;
}

}  // namespace polytrace::store

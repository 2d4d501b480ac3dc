#include "store/engine/span_matcher.h"

#include <charconv>
#include <string>

#include "store/table/value_codec.h"

namespace polytrace::store {

SpanMatcher::SpanMatcher(const SpanFilter& filter, const SpanTable& table)
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

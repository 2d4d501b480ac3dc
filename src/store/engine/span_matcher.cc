#include "store/engine/span_matcher.h"

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
  for (const auto& tag : filter.tags) tag_keys_.push_back(d.keys.Find(tag.first));
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

bool SpanMatcher::TagMatches(size_t tag, uint32_t row) const {
  const std::string& want = filter_.tags[tag].second;
  Arena scratch;
  if (tag_keys_[tag]) {
    for (uint32_t c = table_.AttrBegin(row); c < table_.AttrEnd(row); ++c) {
      if (table_.attr_key[c] == *tag_keys_[tag] &&
          ValueToString(table_.CellValue(c, scratch)) == want) {
        return true;
      }
    }
  }
  if (ResourceHasTag(tag, table_.origin[row])) return true;
  // Event (Jaeger "log") fields: decoded only when the cheaper places failed.
  Span span;
  span.start_time_unix_nano = table_.start[row];
  if (!DecodeSpanExtras(table_.Extras(row), scratch, &span)) return false;
  for (const SpanEvent& e : span.events) {
    const AnyValue* v = FindAttribute(e.attributes, filter_.tags[tag].first);
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

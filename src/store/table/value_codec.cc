#include "store/table/value_codec.h"

namespace polytrace::store {
namespace {

constexpr int kMaxDepth = kMaxAnyValueDepth;  // as the OTLP decoders: all they accept decodes

// Presence bits of EncodeSpanExtras, so an ordinary span's extras are 1 byte.
constexpr uint32_t kTraceState = 1 << 0, kFlags = 1 << 1, kDroppedAttributes = 1 << 2,
                   kEvents = kExtrasEvents, kDroppedEvents = 1 << 4, kLinks = kExtrasLinks,
                   kDroppedLinks = 1 << 6, kStatusMessage = 1 << 7;

bool GetString(ByteReader& in, Arena& arena, std::string_view* out) {
  std::string_view raw;
  if (!in.GetLengthPrefixed(&raw)) return false;
  *out = arena.Copy(raw);
  return true;
}

// Event times relative to the span's start: a few bytes instead of eight.
void EncodeEvent(const SpanEvent& e, uint64_t span_start, std::string* out) {
  PutVarint(out, ZigZag(static_cast<int64_t>(e.time_unix_nano - span_start)));
  PutLengthPrefixed(out, e.name);
  EncodeAttributes(e.attributes, out);
  PutVarint(out, e.dropped_attributes_count);
}

bool DecodeEvent(ByteReader& in, Arena& arena, uint64_t span_start, SpanEvent* e) {
  uint64_t delta;
  if (!in.GetVarint(&delta)) return false;
  e->time_unix_nano = span_start + static_cast<uint64_t>(UnZigZag(delta));
  return GetString(in, arena, &e->name) && DecodeAttributes(in, arena, &e->attributes) &&
         in.GetVarint32(&e->dropped_attributes_count);
}

void EncodeLink(const SpanLink& l, std::string* out) {
  out->append(reinterpret_cast<const char*>(l.trace_id.bytes.data()), 16);
  out->append(reinterpret_cast<const char*>(l.span_id.bytes.data()), 8);
  PutLengthPrefixed(out, l.trace_state);
  EncodeAttributes(l.attributes, out);
  PutVarint(out, l.dropped_attributes_count);
  PutVarint(out, l.flags);
}

bool DecodeLink(ByteReader& in, Arena& arena, SpanLink* l) {
  std::string_view trace_id, span_id;
  if (!in.GetBytes(16, &trace_id) || !in.GetBytes(8, &span_id)) return false;
  std::memcpy(l->trace_id.bytes.data(), trace_id.data(), 16);
  std::memcpy(l->span_id.bytes.data(), span_id.data(), 8);
  return GetString(in, arena, &l->trace_state) && DecodeAttributes(in, arena, &l->attributes) &&
         in.GetVarint32(&l->dropped_attributes_count) && in.GetVarint32(&l->flags);
}

}  // namespace

void EncodeAnyValue(const AnyValue& value, std::string* out) {
  out->push_back(static_cast<char>(value.type));
  switch (value.type) {
    case ValueType::kEmpty: break;
    case ValueType::kString:
    case ValueType::kBytes: PutLengthPrefixed(out, value.string_value); break;
    case ValueType::kBool: out->push_back(value.bool_value ? 1 : 0); break;
    case ValueType::kInt: PutVarint(out, ZigZag(value.int_value)); break;
    case ValueType::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &value.double_value, 8);
      PutFixed64(out, bits);
      break;
    }
    case ValueType::kArray:
      PutVarint(out, value.array_value.size());
      for (const AnyValue& item : value.array_value) EncodeAnyValue(item, out);
      break;
    case ValueType::kKvList: EncodeAttributes(value.kvlist_value, out); break;
  }
}

bool DecodeAnyValue(ByteReader& in, Arena& arena, AnyValue* value, int depth) {
  if (depth >= kMaxDepth) return false;
  uint8_t type;
  if (!in.GetByte(&type) || type > static_cast<uint8_t>(ValueType::kKvList)) return false;
  value->type = static_cast<ValueType>(type);
  switch (value->type) {
    case ValueType::kEmpty: return true;
    case ValueType::kString:
    case ValueType::kBytes: return GetString(in, arena, &value->string_value);
    case ValueType::kBool: {
      uint8_t b;
      if (!in.GetByte(&b)) return false;
      value->bool_value = b != 0;
      return true;
    }
    case ValueType::kInt: {
      uint64_t v;
      if (!in.GetVarint(&v)) return false;
      value->int_value = UnZigZag(v);
      return true;
    }
    case ValueType::kDouble: {
      uint64_t bits;
      if (!in.GetFixed64(&bits)) return false;
      std::memcpy(&value->double_value, &bits, 8);
      return true;
    }
    case ValueType::kArray: {
      uint64_t n;
      if (!in.GetVarint(&n) || n > in.remaining()) return false;
      value->array_value.Reserve(arena, n);
      for (uint64_t i = 0; i < n; ++i) {
        if (!DecodeAnyValue(in, arena, &value->array_value.Append(arena), depth + 1)) return false;
      }
      return true;
    }
    case ValueType::kKvList: return DecodeAttributes(in, arena, &value->kvlist_value, depth + 1);
  }
  return false;
}

void EncodeAttributes(const Attributes& attributes, std::string* out) {
  PutVarint(out, attributes.size());
  for (const KeyValue& kv : attributes) {
    PutLengthPrefixed(out, kv.key);
    EncodeAnyValue(kv.value, out);
  }
}

bool DecodeAttributes(ByteReader& in, Arena& arena, Attributes* attributes, int depth) {
  uint64_t n;
  if (!in.GetVarint(&n) || n > in.remaining()) return false;
  attributes->Reserve(arena, attributes->size() + n);
  for (uint64_t i = 0; i < n; ++i) {
    KeyValue& kv = attributes->Append(arena);
    if (!GetString(in, arena, &kv.key) || !DecodeAnyValue(in, arena, &kv.value, depth)) {
      return false;
    }
  }
  return true;
}

void EncodeSpanExtras(const Span& span, std::string* out) {
  uint32_t bits =
      (span.trace_state.empty() ? 0 : kTraceState) | (span.flags ? kFlags : 0) |
      (span.dropped_attributes_count ? kDroppedAttributes : 0) |
      (span.events.empty() ? 0 : kEvents) | (span.dropped_events_count ? kDroppedEvents : 0) |
      (span.links.empty() ? 0 : kLinks) | (span.dropped_links_count ? kDroppedLinks : 0) |
      (span.status.message.empty() ? 0 : kStatusMessage);
  PutVarint(out, bits);
  if (bits & kTraceState) PutLengthPrefixed(out, span.trace_state);
  if (bits & kFlags) PutVarint(out, span.flags);
  if (bits & kDroppedAttributes) PutVarint(out, span.dropped_attributes_count);
  if (bits & kEvents) {
    PutVarint(out, span.events.size());
    for (const SpanEvent& e : span.events) EncodeEvent(e, span.start_time_unix_nano, out);
  }
  if (bits & kDroppedEvents) PutVarint(out, span.dropped_events_count);
  if (bits & kLinks) {
    PutVarint(out, span.links.size());
    for (const SpanLink& l : span.links) EncodeLink(l, out);
  }
  if (bits & kDroppedLinks) PutVarint(out, span.dropped_links_count);
  if (bits & kStatusMessage) PutLengthPrefixed(out, span.status.message);
}

bool DecodeSpanExtras(std::string_view data, Arena& arena, Span* span) {
  ByteReader in(data);
  uint32_t bits;
  if (!in.GetVarint32(&bits)) return false;
  if ((bits & kTraceState) && !GetString(in, arena, &span->trace_state)) return false;
  if ((bits & kFlags) && !in.GetVarint32(&span->flags)) return false;
  if ((bits & kDroppedAttributes) && !in.GetVarint32(&span->dropped_attributes_count)) return false;
  if (bits & kEvents) {
    uint64_t n;
    if (!in.GetVarint(&n) || n > in.remaining()) return false;
    span->events.Reserve(arena, n);
    for (uint64_t i = 0; i < n; ++i) {
      if (!DecodeEvent(in, arena, span->start_time_unix_nano, &span->events.Append(arena))) {
        return false;
      }
    }
  }
  if ((bits & kDroppedEvents) && !in.GetVarint32(&span->dropped_events_count)) return false;
  if (bits & kLinks) {
    uint64_t n;
    if (!in.GetVarint(&n) || n > in.remaining()) return false;
    span->links.Reserve(arena, n);
    for (uint64_t i = 0; i < n; ++i) {
      if (!DecodeLink(in, arena, &span->links.Append(arena))) return false;
    }
  }
  if ((bits & kDroppedLinks) && !in.GetVarint32(&span->dropped_links_count)) return false;
  if ((bits & kStatusMessage) && !GetString(in, arena, &span->status.message)) return false;
  return in.done();
}

void EncodeOrigin(const ResourceSpans& resource_spans, const ScopeSpans& scope_spans,
                  std::string* out) {
  EncodeAttributes(resource_spans.resource.attributes, out);
  PutVarint(out, resource_spans.resource.dropped_attributes_count);
  PutLengthPrefixed(out, resource_spans.schema_url);
  const InstrumentationScope& scope = scope_spans.scope;
  PutLengthPrefixed(out, scope.name);
  PutLengthPrefixed(out, scope.version);
  EncodeAttributes(scope.attributes, out);
  PutVarint(out, scope.dropped_attributes_count);
  PutLengthPrefixed(out, scope_spans.schema_url);
}

bool DecodeOrigin(std::string_view data, Arena& arena, ResourceSpans* resource_spans,
                  ScopeSpans* scope_spans) {
  ByteReader in(data);
  InstrumentationScope& scope = scope_spans->scope;
  return DecodeAttributes(in, arena, &resource_spans->resource.attributes) &&
         in.GetVarint32(&resource_spans->resource.dropped_attributes_count) &&
         GetString(in, arena, &resource_spans->schema_url) && GetString(in, arena, &scope.name) &&
         GetString(in, arena, &scope.version) && DecodeAttributes(in, arena, &scope.attributes) &&
         in.GetVarint32(&scope.dropped_attributes_count) &&
         GetString(in, arena, &scope_spans->schema_url) && in.done();
}

}  // namespace polytrace::store

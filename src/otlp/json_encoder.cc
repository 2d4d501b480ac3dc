// OTLP/JSON encoder (see json_codec.h): lowerCamelCase keys, hex ids,
// 64-bit integers as strings, enums as integers, bytes as base64, and
// proto3 defaults omitted, as protojson writes them.
#include "core/base64.h"
#include "otlp/json_codec.h"
#include "otlp/json_writer.h"

namespace polytrace::otlp {
namespace {

class Encoder {
 public:
  explicit Encoder(JsonWriter& w) : w_(w) {}

  void Value(const AnyValue& v) {
    w_.BeginObject();
    switch (v.type) {
      case ValueType::kEmpty: break;
      case ValueType::kString: Field("stringValue", v.string_value, false); break;
      case ValueType::kBytes: Field("bytesValue", Base64Encode(v.string_value), false); break;
      case ValueType::kBool:
        w_.Key("boolValue");
        w_.Bool(v.bool_value);
        break;
      case ValueType::kInt:
        w_.Key("intValue");
        w_.Int64AsString(v.int_value);
        break;
      case ValueType::kDouble:
        w_.Key("doubleValue");
        w_.Double(v.double_value);
        break;
      case ValueType::kArray:
        w_.Key("arrayValue");
        w_.BeginObject();
        w_.Key("values");
        w_.BeginArray();
        for (const AnyValue& item : v.array_value) Value(item);
        w_.EndArray();
        w_.EndObject();
        break;
      case ValueType::kKvList:
        w_.Key("kvlistValue");
        w_.BeginObject();
        w_.Key("values");
        Attributes(v.kvlist_value);
        w_.EndObject();
        break;
    }
    w_.EndObject();
  }
  void Attributes(const polytrace::Attributes& attrs) {
    w_.BeginArray();
    for (const KeyValue& kv : attrs) {
      w_.BeginObject();
      Field("key", kv.key, /*omit_empty=*/false);
      w_.Key("value");
      Value(kv.value);
      w_.EndObject();
    }
    w_.EndArray();
  }
  void AttributesField(const char* key, const polytrace::Attributes& attrs) {
    if (attrs.empty()) return;
    w_.Key(key);
    Attributes(attrs);
  }
  void Field(const char* key, std::string_view s, bool omit_empty = true) {
    if (omit_empty && s.empty()) return;
    w_.Key(key);
    w_.String(s);
  }
  void Uint(const char* key, uint64_t v) {
    if (v == 0) return;
    w_.Key(key);
    w_.Uint(v);
  }
  void Uint64String(const char* key, uint64_t v) {
    if (v == 0) return;
    w_.Key(key);
    w_.Uint64AsString(v);
  }

  void SpanObject(const Span& s) {
    w_.BeginObject();
    Field("traceId", s.trace_id.ToHex());
    Field("spanId", s.span_id.ToHex());
    Field("traceState", s.trace_state);
    if (!s.parent_span_id.IsZero()) Field("parentSpanId", s.parent_span_id.ToHex());
    Uint("flags", s.flags);
    Field("name", s.name);
    Uint("kind", static_cast<uint64_t>(s.kind));
    Uint64String("startTimeUnixNano", s.start_time_unix_nano);
    Uint64String("endTimeUnixNano", s.end_time_unix_nano);
    AttributesField("attributes", s.attributes);
    Uint("droppedAttributesCount", s.dropped_attributes_count);
    if (!s.events.empty()) {
      w_.Key("events");
      w_.BeginArray();
      for (const SpanEvent& e : s.events) {
        w_.BeginObject();
        Uint64String("timeUnixNano", e.time_unix_nano);
        Field("name", e.name);
        AttributesField("attributes", e.attributes);
        Uint("droppedAttributesCount", e.dropped_attributes_count);
        w_.EndObject();
      }
      w_.EndArray();
    }
    Uint("droppedEventsCount", s.dropped_events_count);
    if (!s.links.empty()) {
      w_.Key("links");
      w_.BeginArray();
      for (const SpanLink& l : s.links) {
        w_.BeginObject();
        Field("traceId", l.trace_id.ToHex());
        Field("spanId", l.span_id.ToHex());
        Field("traceState", l.trace_state);
        AttributesField("attributes", l.attributes);
        Uint("droppedAttributesCount", l.dropped_attributes_count);
        Uint("flags", l.flags);
        w_.EndObject();
      }
      w_.EndArray();
    }
    Uint("droppedLinksCount", s.dropped_links_count);
    w_.Key("status");
    w_.BeginObject();
    Field("message", s.status.message);
    Uint("code", static_cast<uint64_t>(s.status.code));
    w_.EndObject();
    w_.EndObject();
  }

  void Request(const Traces& traces) {
    w_.BeginObject();
    w_.Key("resourceSpans");
    w_.BeginArray();
    ResourceSpansElements(traces);
    w_.EndArray();
    w_.EndObject();
  }

  void ResourceSpansElements(const Traces& traces) {
    for (const ResourceSpans& rs : traces.resource_spans()) {
      w_.BeginObject();
      w_.Key("resource");
      w_.BeginObject();
      AttributesField("attributes", rs.resource.attributes);
      Uint("droppedAttributesCount", rs.resource.dropped_attributes_count);
      w_.EndObject();
      w_.Key("scopeSpans");
      w_.BeginArray();
      for (const ScopeSpans& ss : rs.scope_spans) {
        w_.BeginObject();
        w_.Key("scope");
        w_.BeginObject();
        Field("name", ss.scope.name);
        Field("version", ss.scope.version);
        AttributesField("attributes", ss.scope.attributes);
        Uint("droppedAttributesCount", ss.scope.dropped_attributes_count);
        w_.EndObject();
        w_.Key("spans");
        w_.BeginArray();
        for (const Span& s : ss.spans) SpanObject(s);
        w_.EndArray();
        Field("schemaUrl", ss.schema_url);
        w_.EndObject();
      }
      w_.EndArray();
      Field("schemaUrl", rs.schema_url);
      w_.EndObject();
    }
  }

 private:
  JsonWriter& w_;
};

}  // namespace

void WriteAnyValueJson(const AnyValue& value, JsonWriter& w) { Encoder(w).Value(value); }

void WriteAttributesJson(const Attributes& attributes, JsonWriter& w) {
  Encoder(w).Attributes(attributes);
}

void WriteResourceSpansJson(const Traces& traces, JsonWriter& w) {
  Encoder(w).ResourceSpansElements(traces);
}

std::string EncodeTracesJson(const Traces& traces) {
  JsonWriter w;
  Encoder(w).Request(traces);
  return w.Take();
}

}  // namespace polytrace::otlp

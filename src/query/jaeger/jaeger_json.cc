#include "query/jaeger/jaeger_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "analysis/span_facts.h"
#include "core/base64.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "query/jaeger/jaeger_warnings.h"

namespace polytrace::query {

namespace {

// Jaeger drops the high half of a trace ID that is zero (a 64-bit ID).
std::span<const uint8_t> JaegerTraceIdBytes(const TraceId& id) {
  bool high_zero =
      std::all_of(id.bytes.begin(), id.bytes.begin() + 8, [](uint8_t b) { return b == 0; });
  return std::span<const uint8_t>(id.bytes).subspan(high_zero ? 8 : 0);
}

}  // namespace

std::string JaegerTraceIdHex(const TraceId& id) {
  std::string hex = id.ToHex();
  return JaegerTraceIdBytes(id).size() == 8 ? hex.substr(16) : hex;
}

namespace {

// As JaegerTraceIdHex, written in place.
void WriteTraceId(JsonWriter& w, const TraceId& id) { w.Hex(JaegerTraceIdBytes(id)); }

// Arrays and maps have no Jaeger type: they travel as JSON strings.
std::string ComplexAsJson(const AnyValue& v);

void WriteAnyAsJson(const AnyValue& v, JsonWriter& w) {
  switch (v.type) {
    case ValueType::kEmpty: w.Null(); break;
    case ValueType::kString: w.String(v.string_value); break;
    case ValueType::kBool: w.Bool(v.bool_value); break;
    case ValueType::kInt: w.Int(v.int_value); break;
    case ValueType::kDouble: w.Double(v.double_value); break;
    case ValueType::kBytes: w.String(Base64Encode(v.string_value)); break;
    case ValueType::kArray:
      w.BeginArray();
      for (const AnyValue& item : v.array_value) WriteAnyAsJson(item, w);
      w.EndArray();
      break;
    case ValueType::kKvList:
      w.BeginObject();
      for (const KeyValue& kv : v.kvlist_value) {
        w.Key(kv.key);
        WriteAnyAsJson(kv.value, w);
      }
      w.EndObject();
      break;
  }
}

std::string ComplexAsJson(const AnyValue& v) {
  JsonWriter w;
  WriteAnyAsJson(v, w);
  return w.Take();
}

// The common tags (strings, integers, booleans) are one value written in
// pieces; the others key by key. WriteAttributeTag for span and resource
// attributes.
void WriteStringTag(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Raw(R"({"key":)");
  w.StringMore(key);
  w.RawMore(R"(,"type":"string","value":)");
  w.StringMore(value);
  w.RawMore("}");
}

void WriteTag(JsonWriter& w, std::string_view key, const AnyValue& v) {
  if (v.type == ValueType::kString) return WriteStringTag(w, key, v.string_value);
  if (v.type == ValueType::kInt || v.type == ValueType::kBool) {
    w.Raw(R"({"key":)");
    w.StringMore(key);
    if (v.type == ValueType::kInt) {
      w.RawMore(R"(,"type":"int64","value":)");
      // JavaScript reads a number as a double: as Jaeger does, an integer
      // beyond 2^53 - 1 is written as the string of its digits (still int64).
      constexpr int64_t kJsMaxSafeInteger = (int64_t(1) << 53) - 1;
      if (v.int_value > kJsMaxSafeInteger || v.int_value < -kJsMaxSafeInteger) {
        w.StringMore(std::to_string(v.int_value));
      } else {
        w.IntMore(v.int_value);
      }
    } else {
      w.RawMore(v.bool_value ? R"(,"type":"bool","value":true)"
                             : R"(,"type":"bool","value":false)");
    }
    w.RawMore("}");
    return;
  }
  w.BeginObject();
  w.Key("key");
  w.String(key);
  w.Key("type");
  switch (v.type) {
    case ValueType::kDouble:
      w.String("float64");
      w.Key("value");
      w.Double(v.double_value);
      break;
    case ValueType::kBytes:
      w.String("binary");
      w.Key("value");
      w.String(Base64Encode(v.string_value));
      break;
    default:
      w.String("string");
      w.Key("value");
      w.String(v.type == ValueType::kEmpty ? std::string() : ComplexAsJson(v));
      break;
  }
  w.EndObject();
}

// A span's or a resource's attribute: as WriteTag, but an IPv4 address
// given as a number under `ip` or `peer.ipv4` is written dotted, as Jaeger's
// query service rewrites it.
void WriteAttributeTag(JsonWriter& w, std::string_view key, const AnyValue& v) {
  if ((key == "ip" || key == "peer.ipv4") &&
      (v.type == ValueType::kInt || v.type == ValueType::kDouble)) {
    // A double out of int64's range (or NaN) is hostile input, not an
    // address: converting it would be undefined.
    const double d = v.double_value;
    const int64_t n = v.type == ValueType::kInt     ? v.int_value
                      : (d > -9.2e18 && d < 9.2e18) ? static_cast<int64_t>(d)
                                                    : 0;
    const auto ip = static_cast<uint32_t>(n);
    return WriteStringTag(
        w, key, fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255));
  }
  WriteTag(w, key, v);
}

void WriteReference(JsonWriter& w, const char* type, const TraceId& trace, const SpanId& span) {
  w.BeginObject();
  w.Key("refType");
  w.String(type);
  w.Key("traceID");
  WriteTraceId(w, trace);
  w.Key("spanID");
  w.Hex(span.bytes);
  w.EndObject();
}

// Attributes in key order, as Jaeger's query service sorts tags (ties in
// their order).
std::vector<const KeyValue*> ByKey(const Attributes& attributes) {
  std::vector<const KeyValue*> sorted;
  sorted.reserve(attributes.size());
  for (const KeyValue& kv : attributes) sorted.push_back(&kv);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const KeyValue* a, const KeyValue* b) { return a->key < b->key; });
  return sorted;
}

// The span's attributes and the tags Jaeger derives from its OTLP fields,
// all in key order, as Jaeger answers them.
void WriteSpanTags(JsonWriter& w, const AssembledSpan& a) {
  const Span& s = *a.span;
  struct Tag {
    std::string_view key;
    const AnyValue* value = nullptr;  // null: the string `text`
    std::string_view text;
    bool attribute = false;  // the span's own, not derived
  };
  std::vector<Tag> tags;
  tags.reserve(s.attributes.size() + 7);
  for (const KeyValue& kv : s.attributes) tags.push_back({kv.key, &kv.value, {}, true});
  static const AnyValue kTrue = AnyValue::Bool(true);
  if (s.kind != SpanKind::kUnspecified)
    tags.push_back({"span.kind", nullptr, analysis::KindName(s.kind)});
  if (s.status.code == StatusCodeValue::kError) {
    tags.push_back({"error", &kTrue, {}});
    tags.push_back({"otel.status_code", nullptr, "ERROR"});
  } else if (s.status.code == StatusCodeValue::kOk) {
    tags.push_back({"otel.status_code", nullptr, "OK"});
  }
  if (!s.status.message.empty())
    tags.push_back({"otel.status_description", nullptr, s.status.message});
  if (!a.scope->scope.name.empty())
    tags.push_back({"otel.scope.name", nullptr, a.scope->scope.name});
  if (!a.scope->scope.version.empty())
    tags.push_back({"otel.scope.version", nullptr, a.scope->scope.version});
  if (!s.trace_state.empty()) tags.push_back({"w3c.tracestate", nullptr, s.trace_state});
  std::stable_sort(tags.begin(), tags.end(),
                   [](const Tag& x, const Tag& y) { return x.key < y.key; });
  w.BeginArray();
  for (const Tag& t : tags) {
    if (t.attribute) {
      WriteAttributeTag(w, t.key, *t.value);
    } else if (t.value != nullptr) {
      WriteTag(w, t.key, *t.value);
    } else {
      WriteStringTag(w, t.key, t.text);
    }
  }
  w.EndArray();
}

void WriteLogs(JsonWriter& w, const Span& s) {
  w.BeginArray();
  for (const SpanEvent& e : s.events) {
    w.BeginObject();
    w.Key("timestamp");
    w.Uint(e.time_unix_nano / 1000);
    w.Key("fields");
    w.BeginArray();
    if (!e.name.empty()) WriteStringTag(w, "event", e.name);  // first, then in key order
    for (const KeyValue* kv : ByKey(e.attributes)) WriteTag(w, kv->key, kv->value);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

void WriteWarnings(JsonWriter& w, const std::vector<std::string>& warnings) {
  if (warnings.empty()) {
    w.Null();
    return;
  }
  w.BeginArray();
  for (const std::string& warning : warnings) w.String(warning);
  w.EndArray();
}

}  // namespace

void WriteJaegerSpan(const AssembledSpan& a, const std::string& process_id, JsonWriter& w,
                     int64_t clock_skew) {
  const Span& s = *a.span;
  w.BeginObject();
  w.Key("traceID");
  WriteTraceId(w, s.trace_id);
  w.Key("spanID");
  w.Hex(s.span_id.bytes);
  // No "flags": Jaeger v2 never carries an OTLP span's flags into its model
  // (the Collector's translator leaves them 0), and its JSON omits a 0.
  w.Key("operationName");
  w.String(s.name);
  w.Key("references");
  w.BeginArray();
  if (!s.parent_span_id.IsZero()) WriteReference(w, "CHILD_OF", s.trace_id, s.parent_span_id);
  for (const SpanLink& l : s.links) WriteReference(w, "FOLLOWS_FROM", l.trace_id, l.span_id);
  w.EndArray();
  w.Key("startTime");
  w.Uint(s.start_time_unix_nano / 1000);
  w.Key("duration");
  w.Uint(s.end_time_unix_nano > s.start_time_unix_nano
             ? (s.end_time_unix_nano - s.start_time_unix_nano) / 1000
             : 0);
  w.Key("tags");
  WriteSpanTags(w, a);
  w.Key("logs");
  WriteLogs(w, s);
  w.Key("processID");
  w.String(process_id);
  // In the order Jaeger adds them: its ingest's sanitizer, then its query
  // service's clock-skew adjuster.
  std::vector<std::string> warnings;
  if (s.end_time_unix_nano <= s.start_time_unix_nano) {
    warnings.push_back(NegativeDurationWarning(s.start_time_unix_nano, s.end_time_unix_nano));
  }
  if (a.duplicate) warnings.push_back(DuplicateSpanIdWarning());
  if (a.orphan) warnings.push_back(OrphanWarning(s.parent_span_id));
  if (clock_skew != 0) warnings.push_back(ClockSkewWarning(clock_skew));
  w.Key("warnings");
  WriteWarnings(w, warnings);
  w.EndObject();
}

const std::string& JaegerProcesses::IdOf(const ResourceSpans& rs) {
  if (auto known = by_address_.find(&rs); known != by_address_.end()) {
    return processes_[known->second].first;
  }
  // Jaeger sorts a process's tags before telling processes apart: the same
  // attributes in another order (and type) are the same process.
  const std::vector<const KeyValue*> attributes = ByKey(rs.resource.attributes);
  key_.clear();
  for (const KeyValue* kv : attributes) {
    key_ += kv->key;
    key_ += '\x1f';
    key_ += static_cast<char>(kv->value.type);
    key_ += ValueToString(kv->value);
    key_ += '\x1e';
  }
  auto it = ids_.find(key_);
  if (it != ids_.end()) {
    by_address_.emplace(&rs, it->second);
    return processes_[it->second].first;
  }
  by_address_.emplace(&rs, processes_.size());
  ids_.emplace(key_, processes_.size());
  JsonWriter w;
  w.BeginObject();
  w.Key("serviceName");
  const AnyValue* service = FindAttribute(rs.resource.attributes, kServiceNameKey);
  w.String(service != nullptr && service->type == ValueType::kString ? service->string_value
                                                                     : "unknown_service");
  w.Key("tags");
  w.BeginArray();
  for (const KeyValue* kv : attributes) {
    if (kv->key != kServiceNameKey) WriteAttributeTag(w, kv->key, kv->value);
  }
  w.EndArray();
  w.EndObject();
  processes_.emplace_back(fmt::format("p{}", processes_.size() + 1), w.Take());
  return processes_.back().first;
}

void JaegerProcesses::Write(JsonWriter& w) const {
  w.BeginObject();
  for (const auto& [id, json] : processes_) {
    w.Key(id);
    w.Raw(json);
  }
  w.EndObject();
}

namespace {

// What Jaeger compares to find a span stored twice: the span, its
// resource's attributes and its scope's attributes, in OTLP protobuf.
std::string CopyKey(const AssembledSpan& a) {
  Traces t;
  ResourceSpans& rs = t.resource_spans().Append(t.arena());
  rs.resource.attributes = a.resource->resource.attributes;
  ScopeSpans& ss = rs.scope_spans.Append(t.arena());
  ss.scope.attributes = a.scope->scope.attributes;
  ss.spans.Append(t.arena(), *a.span);
  return otlp::EncodeTracesProto(t);
}

// Per span, whether it repeats an earlier span exactly (an exporter's
// retry): Jaeger shows it once. Only spans whose ID came before are compared.
std::vector<bool> RepeatedSpans(const AssembledTrace& trace) {
  std::vector<bool> repeated(trace.spans.size(), false);
  absl::flat_hash_set<uint64_t> shared;  // IDs carried by more than one span
  for (const AssembledSpan& a : trace.spans) {
    if (a.duplicate) shared.insert(a.span->span_id.Key());
  }
  if (shared.empty()) return repeated;
  absl::flat_hash_map<uint64_t, std::vector<std::string>> kept;
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    const AssembledSpan& a = trace.spans[i];
    if (!shared.contains(a.span->span_id.Key())) continue;
    std::vector<std::string>& keys = kept[a.span->span_id.Key()];
    std::string key = CopyKey(a);
    repeated[i] = std::find(keys.begin(), keys.end(), key) != keys.end();
    if (!repeated[i]) keys.push_back(std::move(key));
  }
  return repeated;
}

// Zipkin's shared spans: a call's server side may carry its client's span
// ID. As Jaeger's query service does, each such server span gets a new ID
// (the lowest unused, counting up from 1), its parent becomes the shared
// ID (the client), and the shared ID's other children move under it. The
// trace's spans with those IDs, in `out` (sharing the original's memory);
// false when no server span shares a client's ID.
bool RenameSharedServerSpans(const AssembledTrace& trace, Traces* out) {
  // Almost every trace has no span ID twice: nothing is hashed for it.
  if (std::none_of(trace.spans.begin(), trace.spans.end(),
                   [](const AssembledSpan& a) { return a.duplicate; })) {
    return false;
  }
  absl::flat_hash_set<uint64_t> ids, client_ids;
  for (const AssembledSpan& a : trace.spans) {
    ids.insert(a.span->span_id.Key());
    if (a.span->kind == SpanKind::kClient) client_ids.insert(a.span->span_id.Key());
  }
  uint64_t last = 0;  // the last new ID, as a big-endian number
  auto unused_id = [&] {
    SpanId id;
    do {
      ++last;
      for (int b = 0; b < 8; ++b) id.bytes[b] = uint8_t(last >> (56 - 8 * b));
    } while (ids.contains(id.Key()));
    return id;
  };
  absl::flat_hash_map<uint64_t, SpanId> renamed;  // shared ID -> its server span's new ID
  std::vector<Span> spans;
  spans.reserve(trace.spans.size());
  for (const AssembledSpan& a : trace.spans) {
    Span& s = spans.emplace_back(*a.span);
    if (s.kind == SpanKind::kServer && client_ids.contains(s.span_id.Key())) {
      s.parent_span_id = s.span_id;
      s.span_id = unused_id();
      renamed[s.parent_span_id.Key()] = s.span_id;
    }
  }
  if (renamed.empty()) return false;
  for (size_t i = 0; i < spans.size(); ++i) {
    Span& s = spans[i];
    auto moved = renamed.find(s.parent_span_id.Key());
    if (moved != renamed.end() && s.span_id != moved->second) s.parent_span_id = moved->second;
    // One resource and scope per span: they are shared, not copied.
    const AssembledSpan& a = trace.spans[i];
    ResourceSpans& rs = out->resource_spans().Append(out->arena(), *a.resource);
    rs.scope_spans = {};
    ScopeSpans& ss = rs.scope_spans.Append(out->arena(), *a.scope);
    ss.spans = {};
    ss.spans.Append(out->arena(), s);
  }
  return true;
}

void WriteAdjustedTrace(const AssembledTrace& trace, JsonWriter& w) {
  JaegerProcesses processes;
  w.BeginObject();
  w.Key("traceID");
  WriteTraceId(w, trace.trace_id);
  w.Key("spans");
  w.BeginArray();
  const std::vector<int64_t> skew = JaegerClockSkewDeltas(trace);
  const std::vector<bool> repeated = RepeatedSpans(trace);
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    const AssembledSpan& a = trace.spans[i];
    if (!repeated[i]) WriteJaegerSpan(a, processes.IdOf(*a.resource), w, skew[i]);
  }
  w.EndArray();
  w.Key("processes");
  processes.Write(w);
  w.Key("warnings");
  w.Null();
  w.EndObject();
}

}  // namespace

void WriteJaegerTrace(const AssembledTrace& trace, JsonWriter& w) {
  Traces renamed;
  if (RenameSharedServerSpans(trace, &renamed))
    return WriteAdjustedTrace(AssembleTrace(renamed), w);
  WriteAdjustedTrace(trace, w);
}

std::string JaegerEnvelope(std::string_view data_json, size_t total) {
  // Appended, not formatted: fmt copied a search's answer (hundreds of KiB)
  // a byte at a time, 5% of a user-ID search.
  std::string tail = fmt::format(R"(,"total":{},"limit":0,"offset":0,"errors":null}})", total);
  std::string out;
  out.reserve(data_json.size() + tail.size() + 8);
  out.append(R"({"data":)").append(data_json).append(tail);
  return out;
}

void OpenJaegerEnvelope(JsonWriter& w) { w.str() += R"({"data":)"; }

std::string CloseJaegerEnvelope(JsonWriter& w, size_t total) {
  return CloseJaegerEnvelope(w, total, {});
}

std::string CloseJaegerEnvelope(JsonWriter& w, size_t total, std::span<const TraceId> not_found) {
  w.str() += fmt::format(R"(,"total":{},"limit":0,"offset":0,"errors":)", total);
  if (not_found.empty()) {
    w.str() += "null}";
    return w.Take();
  }
  JsonWriter errors;
  errors.BeginArray();
  for (const TraceId& id : not_found) {
    errors.BeginObject();
    errors.Key("msg");
    errors.String("trace not found");
    errors.Key("traceID");
    WriteTraceId(errors, id);
    errors.EndObject();
  }
  errors.EndArray();
  w.str() += errors.str();
  w.str() += '}';
  return w.Take();
}

std::string JaegerError(int code, std::string_view message) {
  JsonWriter w;
  w.BeginObject();
  w.Key("data");
  w.Null();
  w.Key("total");
  w.Int(0);
  w.Key("limit");
  w.Int(0);
  w.Key("offset");
  w.Int(0);
  w.Key("errors");
  w.BeginArray();
  w.BeginObject();
  w.Key("code");
  w.Int(code);
  w.Key("msg");
  w.String(message);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace polytrace::query

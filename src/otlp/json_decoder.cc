// OTLP/JSON decoder (see json_codec.h), on simdjson's DOM parser.
//
// Keys are matched in both lowerCamelCase and snake_case; unknown keys are
// skipped. A path stack names the location of any error.
#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <optional>
#include <vector>

#include "core/base64.h"
#include "otlp/decode_budget.h"
#include "otlp/json_codec.h"

namespace polytrace::otlp {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr int kMaxValueDepth = kMaxAnyValueDepth;
constexpr size_t kKeepParserBytes = size_t{1} << 20;

// True when `key` is the field's lowerCamelCase or snake_case name.
bool Is(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

class JsonDecoder {
 public:
  JsonDecoder(Traces* out, size_t input_bytes)
      : out_(out),
        arena_(out->arena()),
        input_bytes_(input_bytes),
        budget_(arena_.bytes_allocated() + DecodeBudget(input_bytes)) {}

  bool used_library_spans() const { return used_library_spans_; }

  Status Request(element root) {
    object obj;
    if (root.get_object().get(obj)) {
      Fail("the request must be a JSON object");
      return error_;
    }
    for (auto [key, value] : obj) {
      if (!Is(key, "resourceSpans", "resource_spans")) continue;
      array items;
      if (!AsArray(value, "resourceSpans", &items)) return error_;
      size_t i = 0;
      for (element item : items) {
        Push("resourceSpans", i++);
        ResourceSpans* rs = Add(out_->resource_spans());
        if (!rs || !ResourceSpansObj(item, rs)) return error_;
        Pop();
      }
    }
    return Status::Ok();
  }

 private:
  struct PathEntry {
    std::string name;
    size_t index;
  };
  void Push(std::string_view name, size_t index = SIZE_MAX) {
    path_.push_back({std::string(name), index});
  }
  void Pop() { path_.pop_back(); }

  // The next element of a list, or null (and the error set) past the budget.
  template <class T>
  T* Add(ArenaVec<T>& list) {
    if (arena_.bytes_allocated() + list.GrowthBytes() <= budget_) return &list.Append(arena_);
    error_ = Status::InvalidArgument(fmt::format(
        "the request ({} bytes) would take more than {} bytes decoded ({}x its size + 1 MiB): "
        "send smaller batches",
        input_bytes_, DecodeBudget(input_bytes_), kDecodedBytesPerInputByte));
    return nullptr;
  }

  bool Fail(std::string_view what, std::string_view leaf = {}) {
    std::string path;
    for (const PathEntry& e : path_) {
      if (!path.empty()) path += '.';
      path += e.name;
      if (e.index != SIZE_MAX) path += fmt::format("[{}]", e.index);
    }
    if (!leaf.empty()) path += (path.empty() ? "" : ".") + std::string(leaf);
    error_ = Status::InvalidArgument(fmt::format("{}: {}", path.empty() ? "request" : path, what));
    return false;
  }

  bool AsObject(element e, std::string_view name, object* out) {
    if (e.get_object().get(*out)) return Fail("expected an object", name);
    return true;
  }
  bool AsArray(element e, std::string_view name, array* out) {
    if (e.is_null()) {
      *out = array();
      return true;
    }
    if (e.get_array().get(*out)) return Fail("expected an array", name);
    return true;
  }
  bool AsString(element e, std::string_view name, std::string_view* out) {
    std::string_view s;
    if (e.get_string().get(s)) return Fail("expected a string", name);
    *out = arena_.Copy(s);
    return true;
  }
  // uint64 fields: a number or a decimal string.
  bool AsUint64(element e, std::string_view name, uint64_t* out) {
    if (e.is_uint64()) return *out = e.get_uint64().value_unsafe(), true;
    if (e.is_int64()) {
      int64_t v = e.get_int64().value_unsafe();
      if (v < 0) return Fail(fmt::format("{} is negative", v), name);
      return *out = static_cast<uint64_t>(v), true;
    }
    std::string_view s;
    if (!e.get_string().get(s)) {
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
      return Fail(fmt::format("\"{}\" is not an unsigned integer", s), name);
    }
    return Fail("expected an unsigned integer (number or string)", name);
  }
  bool AsInt64(element e, std::string_view name, int64_t* out) {
    if (e.is_int64()) return *out = e.get_int64().value_unsafe(), true;
    std::string_view s;
    if (!e.get_string().get(s)) {
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
      return Fail(fmt::format("\"{}\" is not an integer", s), name);
    }
    return Fail("expected an integer (number or string)", name);
  }
  bool AsUint32(element e, std::string_view name, uint32_t* out) {
    uint64_t v = 0;
    if (!AsUint64(e, name, &v)) return false;
    if (v > 0xffffffffu) return Fail(fmt::format("{} does not fit in 32 bits", v), name);
    *out = static_cast<uint32_t>(v);
    return true;
  }
  // An enum: its number, or its name from `names` (index = value).
  bool AsEnum(element e, std::string_view name, const std::vector<std::string_view>& names,
              uint64_t* out) {
    std::string_view s;
    if (!e.get_string().get(s)) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == s) return *out = i, true;
      }
      return Fail(fmt::format("unknown enum value \"{}\"", s), name);
    }
    return AsUint64(e, name, out);
  }
  template <size_t N>
  bool AsId(element e, std::string_view name, Id<N>* out) {
    std::string_view s;
    if (e.get_string().get(s)) return Fail("expected a hex string", name);
    if (s.empty()) {
      *out = Id<N>();
      return true;
    }
    auto id = Id<N>::FromHex(s);
    if (!id) return Fail(fmt::format("\"{}\" is not {} hex digits", s, 2 * N), name);
    *out = *id;
    return true;
  }

  bool ResourceSpansObj(element e, ResourceSpans* rs);
  bool ScopeSpansObj(element e, ScopeSpans* ss);
  bool SpanObj(element e, Span* s);
  bool EventObj(element e, SpanEvent* ev);
  bool LinkObj(element e, SpanLink* l);
  bool StatusObj(element e, SpanStatus* st);
  bool AttributesArr(element e, std::string_view name, Attributes* out, int depth);
  bool ValueObj(element e, AnyValue* v, int depth);
  bool ScopeObj(element e, InstrumentationScope* scope);
  bool ScopeSpansArr(element value, std::string_view key, ResourceSpans* rs);
  bool ResourceObj(element e, Resource* res);

  Traces* out_;
  Arena& arena_;
  size_t input_bytes_;
  size_t budget_;  // arena bytes allowed
  std::vector<PathEntry> path_;
  Status error_;
  bool used_library_spans_ = false;
};

bool JsonDecoder::ResourceSpansObj(element e, ResourceSpans* rs) {
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  bool has_scope_spans = false;
  std::optional<element> library_spans;
  for (auto [key, value] : obj) {
    if (key == "resource") {
      Push("resource");
      if (!ResourceObj(value, &rs->resource)) return false;
      Pop();
    } else if (Is(key, "scopeSpans", "scope_spans")) {
      has_scope_spans = true;
      if (!ScopeSpansArr(value, key, rs)) return false;
    } else if (Is(key, "instrumentationLibrarySpans", "instrumentation_library_spans")) {
      library_spans = value;
    } else if (Is(key, "schemaUrl", "schema_url")) {
      if (!AsString(value, key, &rs->schema_url)) return false;
    }
  }
  // OTLP before 0.19 (removed in 1.0): the same shape under older names,
  // read as the Collector did while they were deprecated — only for a
  // resource without scopeSpans.
  if (library_spans && !has_scope_spans) {
    used_library_spans_ = true;
    if (!ScopeSpansArr(*library_spans, "instrumentationLibrarySpans", rs)) return false;
    for (ScopeSpans& ss : rs->scope_spans) ss.from_instrumentation_library = true;
  }
  return true;
}

bool JsonDecoder::ScopeSpansArr(element value, std::string_view key, ResourceSpans* rs) {
  array items;
  if (!AsArray(value, key, &items)) return false;
  size_t i = 0;
  for (element item : items) {
    Push(key, i++);
    ScopeSpans* ss = Add(rs->scope_spans);
    if (!ss || !ScopeSpansObj(item, ss)) return false;
    Pop();
  }
  return true;
}

bool JsonDecoder::ResourceObj(element e, Resource* res) {
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    if (key == "attributes") {
      if (!AttributesArr(value, key, &res->attributes, 0)) return false;
    } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
      if (!AsUint32(value, key, &res->dropped_attributes_count)) return false;
    }
  }
  return true;
}

bool JsonDecoder::ScopeSpansObj(element e, ScopeSpans* ss) {
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    if (key == "scope" || Is(key, "instrumentationLibrary", "instrumentation_library")) {
      Push(key);
      if (!ScopeObj(value, &ss->scope)) return false;
      Pop();
    } else if (key == "spans") {
      array items;
      if (!AsArray(value, key, &items)) return false;
      size_t i = 0;
      for (element item : items) {
        Push("spans", i++);
        Span* span = Add(ss->spans);
        if (!span || !SpanObj(item, span)) return false;
        Pop();
      }
    } else if (Is(key, "schemaUrl", "schema_url")) {
      if (!AsString(value, key, &ss->schema_url)) return false;
    }
  }
  return true;
}

bool JsonDecoder::ScopeObj(element e, InstrumentationScope* scope) {
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    bool ok = true;
    if (key == "name") {
      ok = AsString(value, key, &scope->name);
    } else if (key == "version") {
      ok = AsString(value, key, &scope->version);
    } else if (key == "attributes") {
      ok = AttributesArr(value, key, &scope->attributes, 0);
    } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
      ok = AsUint32(value, key, &scope->dropped_attributes_count);
    }
    if (!ok) return false;
  }
  return true;
}

bool JsonDecoder::SpanObj(element e, Span* s) {
  static const std::vector<std::string_view> kKinds = {
      "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
      "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    bool ok = true;
    uint64_t v = 0;
    if (Is(key, "traceId", "trace_id")) {
      ok = AsId(value, key, &s->trace_id);
    } else if (Is(key, "spanId", "span_id")) {
      ok = AsId(value, key, &s->span_id);
    } else if (Is(key, "parentSpanId", "parent_span_id")) {
      ok = AsId(value, key, &s->parent_span_id);
    } else if (Is(key, "traceState", "trace_state")) {
      ok = AsString(value, key, &s->trace_state);
    } else if (key == "flags") {
      ok = AsUint32(value, key, &s->flags);
    } else if (key == "name") {
      ok = AsString(value, key, &s->name);
    } else if (key == "kind") {
      ok = AsEnum(value, key, kKinds, &v);
      s->kind = static_cast<SpanKind>(v);
    } else if (Is(key, "startTimeUnixNano", "start_time_unix_nano")) {
      ok = AsUint64(value, key, &s->start_time_unix_nano);
    } else if (Is(key, "endTimeUnixNano", "end_time_unix_nano")) {
      ok = AsUint64(value, key, &s->end_time_unix_nano);
    } else if (key == "attributes") {
      ok = AttributesArr(value, key, &s->attributes, 0);
    } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
      ok = AsUint32(value, key, &s->dropped_attributes_count);
    } else if (key == "events") {
      array items;
      ok = AsArray(value, key, &items);
      size_t i = 0;
      // A failed conversion leaves `items` without a document: never iterate it.
      for (auto it = ok ? items.begin() : array::iterator(); ok && it != items.end(); ++it) {
        Push("events", i++);
        SpanEvent* event = Add(s->events);
        ok = event && EventObj(*it, event);
        if (ok) Pop();
      }
    } else if (Is(key, "droppedEventsCount", "dropped_events_count")) {
      ok = AsUint32(value, key, &s->dropped_events_count);
    } else if (key == "links") {
      array items;
      ok = AsArray(value, key, &items);
      size_t i = 0;
      // A failed conversion leaves `items` without a document: never iterate it.
      for (auto it = ok ? items.begin() : array::iterator(); ok && it != items.end(); ++it) {
        Push("links", i++);
        SpanLink* link = Add(s->links);
        ok = link && LinkObj(*it, link);
        if (ok) Pop();
      }
    } else if (Is(key, "droppedLinksCount", "dropped_links_count")) {
      ok = AsUint32(value, key, &s->dropped_links_count);
    } else if (key == "status") {
      Push("status");
      ok = StatusObj(value, &s->status);
      if (ok) Pop();
    }
    if (!ok) return false;
  }
  return true;
}

bool JsonDecoder::EventObj(element e, SpanEvent* ev) {
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    bool ok = true;
    if (Is(key, "timeUnixNano", "time_unix_nano")) {
      ok = AsUint64(value, key, &ev->time_unix_nano);
    } else if (key == "name") {
      ok = AsString(value, key, &ev->name);
    } else if (key == "attributes") {
      ok = AttributesArr(value, key, &ev->attributes, 0);
    } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
      ok = AsUint32(value, key, &ev->dropped_attributes_count);
    }
    if (!ok) return false;
  }
  return true;
}

bool JsonDecoder::LinkObj(element e, SpanLink* l) {
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    bool ok = true;
    if (Is(key, "traceId", "trace_id")) {
      ok = AsId(value, key, &l->trace_id);
    } else if (Is(key, "spanId", "span_id")) {
      ok = AsId(value, key, &l->span_id);
    } else if (Is(key, "traceState", "trace_state")) {
      ok = AsString(value, key, &l->trace_state);
    } else if (key == "attributes") {
      ok = AttributesArr(value, key, &l->attributes, 0);
    } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
      ok = AsUint32(value, key, &l->dropped_attributes_count);
    } else if (key == "flags") {
      ok = AsUint32(value, key, &l->flags);
    }
    if (!ok) return false;
  }
  return true;
}

bool JsonDecoder::StatusObj(element e, SpanStatus* st) {
  static const std::vector<std::string_view> kCodes = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                                       "STATUS_CODE_ERROR"};
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    uint64_t v = 0;
    if (key == "message") {
      if (!AsString(value, key, &st->message)) return false;
    } else if (key == "code") {
      if (!AsEnum(value, key, kCodes, &v)) return false;
      st->code = static_cast<StatusCodeValue>(v);
    }
  }
  return true;
}

bool JsonDecoder::AttributesArr(element e, std::string_view name, Attributes* out, int depth) {
  array items;
  if (!AsArray(e, name, &items)) return false;
  size_t i = 0;
  for (element item : items) {
    Push(name, i++);
    object obj;
    if (!AsObject(item, "", &obj)) return false;
    KeyValue* added = Add(*out);
    if (!added) return false;
    KeyValue& kv = *added;
    for (auto [key, value] : obj) {
      if (key == "key") {
        if (!AsString(value, key, &kv.key)) return false;
      } else if (key == "value") {
        Push("value");
        if (!ValueObj(value, &kv.value, depth)) return false;
        Pop();
      }
    }
    Pop();
  }
  return true;
}

bool JsonDecoder::ValueObj(element e, AnyValue* v, int depth) {
  if (depth >= kMaxValueDepth) {
    return Fail(fmt::format("values nested deeper than {} levels", kMaxValueDepth));
  }
  if (e.is_null()) return true;
  object obj;
  if (!AsObject(e, "", &obj)) return false;
  for (auto [key, value] : obj) {
    if (Is(key, "stringValue", "string_value")) {
      v->type = ValueType::kString;
      if (!AsString(value, key, &v->string_value)) return false;
    } else if (Is(key, "boolValue", "bool_value")) {
      v->type = ValueType::kBool;
      if (value.get_bool().get(v->bool_value)) return Fail("expected a boolean", key);
    } else if (Is(key, "intValue", "int_value")) {
      v->type = ValueType::kInt;
      if (!AsInt64(value, key, &v->int_value)) return false;
    } else if (Is(key, "doubleValue", "double_value")) {
      v->type = ValueType::kDouble;
      std::string_view s;
      if (!value.get_double().get(v->double_value)) continue;
      if (value.get_string().get(s)) return Fail("expected a number", key);
      if (s == "NaN") {
        v->double_value = std::numeric_limits<double>::quiet_NaN();
      } else if (s == "Infinity" || s == "-Infinity") {
        v->double_value = (s[0] == '-' ? -1 : 1) * std::numeric_limits<double>::infinity();
      } else {
        auto r = std::from_chars(s.data(), s.data() + s.size(), v->double_value);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
          return Fail(fmt::format("\"{}\" is not a number", s), key);
        }
      }
    } else if (Is(key, "bytesValue", "bytes_value")) {
      v->type = ValueType::kBytes;
      std::string_view s;
      if (value.get_string().get(s)) return Fail("expected a base64 string", key);
      std::optional<std::string> raw = Base64Decode(s);
      if (!raw) return Fail("invalid base64", key);
      v->string_value = arena_.Copy(*raw);
    } else if (Is(key, "arrayValue", "array_value") || Is(key, "kvlistValue", "kvlist_value")) {
      bool is_array = key[0] == 'a';
      v->type = is_array ? ValueType::kArray : ValueType::kKvList;
      object list;
      if (!AsObject(value, key, &list)) return false;
      Push(key);
      for (auto [lkey, lvalue] : list) {
        if (lkey != "values") continue;
        if (!is_array) {
          if (!AttributesArr(lvalue, "values", &v->kvlist_value, depth + 1)) return false;
          continue;
        }
        array items;
        if (!AsArray(lvalue, "values", &items)) return false;
        size_t i = 0;
        for (element item : items) {
          Push("values", i++);
          AnyValue* element = Add(v->array_value);
          if (!element || !ValueObj(item, element, depth + 1)) return false;
          Pop();
        }
      }
      Pop();
    }
  }
  return true;
}

}  // namespace

Status DecodeTracesJson(std::string_view json, Traces* out, bool* used_library_spans) {
  thread_local simdjson::dom::parser parser;
  element root;
  simdjson::error_code ec = parser.parse(json.data(), json.size()).get(root);
  if (ec) {
    return Status::InvalidArgument(fmt::format("invalid JSON: {}", simdjson::error_message(ec)));
  }
  JsonDecoder decoder(out, json.size());
  Status st = decoder.Request(root);
  if (used_library_spans != nullptr) *used_library_spans = decoder.used_library_spans();
  // The parser keeps its buffers for the thread's next request: after a
  // large one, give them back instead of holding the peak for good.
  if (json.size() > kKeepParserBytes) parser = simdjson::dom::parser();
  return st;
}

}  // namespace polytrace::otlp

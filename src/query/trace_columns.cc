#include "query/trace_columns.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "core/base64.h"
#include "otlp/json_codec.h"
#include "otlp/json_writer.h"

namespace polytrace::query {
namespace {

// A frame's bytes, built section by section, each padded to 8 bytes.
class FrameBuilder {
 public:
  explicit FrameBuilder(std::string* out, uint32_t type) : out_(out), start_(out->size()) {
    Put<uint32_t>(type);
    Put<uint32_t>(0);  // the length, once known
  }
  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
    out_->append(bytes, sizeof(T));
  }
  void Append(std::string_view bytes) { out_->append(bytes); }
  void Pad(char fill = '\0') {
    while ((out_->size() - start_) % 8 != 0) out_->push_back(fill);
  }
  void Finish(char fill = '\0') {
    Pad(fill);
    uint32_t length = static_cast<uint32_t>(out_->size() - start_ - 8);
    std::memcpy(out_->data() + start_ + 4, &length, 4);
  }

 private:
  std::string* out_;
  size_t start_;
};

template <typename T>
void Section(FrameBuilder& f, const std::vector<T>& column) {
  for (T v : column) f.Put(v);
  f.Pad();
}

std::string DoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);
}

// An attribute list's columns.
struct AttributeColumns {
  std::vector<uint32_t> key, value;
  std::vector<uint8_t> type;
  void Write(FrameBuilder& f) const {
    Section(f, key);
    Section(f, value);
    Section(f, type);
  }
};

void WriteJsonFrame(std::string* out, uint32_t type, const std::string& json) {
  FrameBuilder f(out, type);
  f.Append(json);
  f.Finish(' ');  // JSON allows the padding
}

}  // namespace

void TraceColumnsEncoder::Head(const TraceId& id, uint64_t base_unix_nanos, std::string* out) {
  base_ = base_unix_nanos;
  WriteJsonFrame(out, kHead,
                 fmt::format(R"({{"traceId":"{}","baseUnixNanos":"{}"}})", id.ToHex(), base_));
}

void TraceColumnsEncoder::End(std::string* out) {
  WriteJsonFrame(out, kEnd, fmt::format(R"({{"spans":{}}})", spans_));
}

uint32_t TraceColumnsEncoder::String(std::string_view s) {
  if (s.empty()) return 0;
  auto [it, inserted] = piece_strings_.emplace(s, next_string_);
  if (inserted) {
    new_strings_.push_back(s);
    ++next_string_;
  }
  return it->second;
}

uint32_t TraceColumnsEncoder::Origin(const ResourceSpans& rs, const ScopeSpans& ss,
                                     uint32_t* scope) {
  std::string key;
  {
    JsonWriter w;
    w.BeginObject();
    w.Key("attributes");
    otlp::WriteAttributesJson(rs.resource.attributes, w);
    w.Key("schemaUrl");
    w.String(rs.schema_url);
    w.EndObject();
    key = w.Take();
  }
  auto [r, new_resource] = resources_.emplace(key, resources_.size());
  if (new_resource) new_resources_.append(new_resources_.empty() ? "" : ",").append(key);
  JsonWriter w;
  w.BeginObject();
  w.Key("name");
  w.String(ss.scope.name);
  w.Key("version");
  w.String(ss.scope.version);
  w.Key("attributes");
  otlp::WriteAttributesJson(ss.scope.attributes, w);
  w.Key("schemaUrl");
  w.String(ss.schema_url);
  w.EndObject();
  auto [s, new_scope] = scopes_.emplace(w.str(), scopes_.size());
  if (new_scope) new_scopes_.append(new_scopes_.empty() ? "" : ",").append(w.str());
  *scope = s->second;
  return r->second;
}

void TraceColumnsEncoder::Piece(const Traces& piece, std::string* out) {
  piece_strings_.clear();
  new_strings_.clear();
  made_.clear();
  new_resources_.clear();
  new_scopes_.clear();
  auto attributes = [&](const Attributes& list, AttributeColumns* to) {
    for (const KeyValue& kv : list) {
      to->key.push_back(String(kv.key));
      const AnyValue& v = kv.value;
      uint8_t type = 0;
      std::string_view text;
      switch (v.type) {
        case ValueType::kEmpty: break;
        case ValueType::kString:
          type = 1;
          text = v.string_value;
          break;
        case ValueType::kBool:
          type = 2;
          text = v.bool_value ? "true" : "false";
          break;
        case ValueType::kInt:
          type = 3;
          text = made_.emplace_back(std::to_string(v.int_value));
          break;
        case ValueType::kDouble:
          type = 4;
          text = made_.emplace_back(DoubleText(v.double_value));
          break;
        case ValueType::kBytes:
          type = 5;
          text = made_.emplace_back(Base64Encode(v.string_value));
          break;
        case ValueType::kArray:
        case ValueType::kKvList: {
          type = v.type == ValueType::kArray ? 6 : 7;
          JsonWriter w;
          otlp::WriteAnyValueJson(v, w);
          text = made_.emplace_back(w.Take());
          break;
        }
      }
      to->type.push_back(type);
      to->value.push_back(String(text));
    }
  };

  std::vector<double> start, end;
  std::vector<uint32_t> id_high, id_low, parent_high, parent_low, name, resource, scope,
      status_message, trace_state, attribute_end, event_end, link_end;
  std::vector<uint8_t> kind, status;
  AttributeColumns attrs, event_attrs, link_attrs;
  std::vector<double> event_time;
  std::vector<uint32_t> event_name, event_attr_end, link_trace, link_span, link_trace_state,
      link_attr_end;
  for (const ResourceSpans& rs : piece.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      uint32_t scope_index = 0;
      uint32_t resource_index = Origin(rs, ss, &scope_index);
      for (const Span& s : ss.spans) {
        start.push_back(double(int64_t(s.start_time_unix_nano - base_)));
        end.push_back(double(int64_t(s.end_time_unix_nano - base_)));
        id_high.push_back(s.span_id.Word32(0));
        id_low.push_back(s.span_id.Word32(4));
        parent_high.push_back(s.parent_span_id.Word32(0));
        parent_low.push_back(s.parent_span_id.Word32(4));
        name.push_back(String(s.name));
        resource.push_back(resource_index);
        scope.push_back(scope_index);
        status_message.push_back(String(s.status.message));
        trace_state.push_back(String(s.trace_state));
        kind.push_back(static_cast<uint8_t>(s.kind));
        status.push_back(static_cast<uint8_t>(s.status.code));
        attributes(s.attributes, &attrs);
        attribute_end.push_back(uint32_t(attrs.key.size()));
        for (const SpanEvent& e : s.events) {
          event_time.push_back(double(int64_t(e.time_unix_nano - base_)));
          event_name.push_back(String(e.name));
          attributes(e.attributes, &event_attrs);
          event_attr_end.push_back(uint32_t(event_attrs.key.size()));
        }
        event_end.push_back(uint32_t(event_time.size()));
        for (const SpanLink& l : s.links) {
          for (size_t at = 0; at < 16; at += 4) link_trace.push_back(l.trace_id.Word32(at));
          link_span.push_back(l.span_id.Word32(0));
          link_span.push_back(l.span_id.Word32(4));
          link_trace_state.push_back(String(l.trace_state));
          attributes(l.attributes, &link_attrs);
          link_attr_end.push_back(uint32_t(link_attrs.key.size()));
        }
        link_end.push_back(uint32_t(link_trace_state.size()));
      }
    }
  }
  if (start.empty()) return;
  spans_ += start.size();

  JsonWriter tables;
  tables.BeginObject();
  tables.Key("strings");
  tables.BeginArray();
  for (std::string_view s : new_strings_) tables.String(s);
  tables.EndArray();
  tables.Key("resources");
  tables.Raw("[" + new_resources_ + "]");
  tables.Key("scopes");
  tables.Raw("[" + new_scopes_ + "]");
  tables.EndObject();
  WriteJsonFrame(out, kTables, tables.str());

  FrameBuilder f(out, kSpans);
  for (size_t n : {start.size(), attrs.key.size(), event_time.size(), event_attrs.key.size(),
                   link_trace_state.size(), link_attrs.key.size(), size_t(0), size_t(0)}) {
    f.Put(uint32_t(n));
  }
  for (const auto* column : {&start, &end}) Section(f, *column);
  for (const auto* column :
       {&id_high, &id_low, &parent_high, &parent_low, &name, &resource, &scope, &status_message,
        &trace_state, &attribute_end, &event_end, &link_end}) {
    Section(f, *column);
  }
  Section(f, kind);
  Section(f, status);
  attrs.Write(f);
  Section(f, event_time);
  Section(f, event_name);
  Section(f, event_attr_end);
  event_attrs.Write(f);
  Section(f, link_trace);
  Section(f, link_span);
  Section(f, link_trace_state);
  Section(f, link_attr_end);
  link_attrs.Write(f);
  f.Finish();
}

}  // namespace polytrace::query

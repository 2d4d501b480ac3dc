// OTLP protobuf encoder (see proto_codec.h).
//
// Two passes, as libprotobuf does with cached sizes: the first walks the
// batch and records the body size of every nested message in pre-order; the
// second writes tags, lengths and fields, consuming those sizes in the same
// order. The output is written once into a buffer reserved to its exact size.
#include <cstdlib>
#include <vector>

#include "otlp/proto_codec.h"
#include "otlp/wire.h"

namespace polytrace::otlp {
namespace {

using wire::LenFieldSize;
using wire::TagSize;
using wire::VarintSize;

size_t StringField(uint32_t field, std::string_view s) {
  return s.empty() ? 0 : LenFieldSize(field, s.size());
}
size_t VarintField(uint32_t field, uint64_t v) {
  return v == 0 ? 0 : TagSize(field) + VarintSize(v);
}
size_t Fixed64Field(uint32_t field, uint64_t v) { return v == 0 ? 0 : TagSize(field) + 8; }
size_t Fixed32Field(uint32_t field, uint32_t v) { return v == 0 ? 0 : TagSize(field) + 4; }

// Pass 1: sizes in pre-order.
class Sizer {
 public:
  std::vector<uint32_t> sizes;

  size_t Nested(uint32_t field, size_t body) { return LenFieldSize(field, body); }

  size_t AnyValueBody(const AnyValue& v) {
    size_t idx = Open();
    size_t n = 0;
    switch (v.type) {
      case ValueType::kEmpty: break;
      case ValueType::kString:
      case ValueType::kBytes:
        n = LenFieldSize(v.type == ValueType::kString ? 1 : 7, v.string_value.size());
        break;
      case ValueType::kBool: n = TagSize(2) + 1; break;
      case ValueType::kInt: n = TagSize(3) + VarintSize(static_cast<uint64_t>(v.int_value)); break;
      case ValueType::kDouble: n = TagSize(4) + 8; break;
      case ValueType::kArray: {
        size_t list_idx = Open();
        size_t list = 0;
        for (const AnyValue& item : v.array_value) list += Nested(1, AnyValueBody(item));
        n = Nested(5, Close(list_idx, list));
        break;
      }
      case ValueType::kKvList: {
        size_t list_idx = Open();
        size_t list = 0;
        for (const KeyValue& kv : v.kvlist_value) list += Nested(1, KeyValueBody(kv));
        n = Nested(6, Close(list_idx, list));
        break;
      }
    }
    return Close(idx, n);
  }
  size_t KeyValueBody(const KeyValue& kv) {
    size_t idx = Open();
    size_t n = StringField(1, kv.key) + Nested(2, AnyValueBody(kv.value));
    return Close(idx, n);
  }
  size_t Attrs(uint32_t field, const Attributes& attrs) {
    size_t n = 0;
    for (const KeyValue& kv : attrs) n += Nested(field, KeyValueBody(kv));
    return n;
  }
  size_t SpanBody(const Span& s) {
    size_t idx = Open();
    size_t n = LenFieldSize(1, 16) + LenFieldSize(2, 8) + StringField(3, s.trace_state) +
               (s.parent_span_id.IsZero() ? 0 : LenFieldSize(4, 8)) + StringField(5, s.name) +
               VarintField(6, static_cast<uint64_t>(s.kind)) +
               Fixed64Field(7, s.start_time_unix_nano) + Fixed64Field(8, s.end_time_unix_nano) +
               Attrs(9, s.attributes) + VarintField(10, s.dropped_attributes_count) +
               VarintField(12, s.dropped_events_count) + VarintField(14, s.dropped_links_count) +
               Fixed32Field(16, s.flags);
    for (const SpanEvent& e : s.events) {
      size_t eidx = Open();
      size_t en = Fixed64Field(1, e.time_unix_nano) + StringField(2, e.name) +
                  Attrs(3, e.attributes) + VarintField(4, e.dropped_attributes_count);
      n += Nested(11, Close(eidx, en));
    }
    for (const SpanLink& l : s.links) {
      size_t lidx = Open();
      size_t ln = LenFieldSize(1, 16) + LenFieldSize(2, 8) + StringField(3, l.trace_state) +
                  Attrs(4, l.attributes) + VarintField(5, l.dropped_attributes_count) +
                  Fixed32Field(6, l.flags);
      n += Nested(13, Close(lidx, ln));
    }
    if (!s.status.message.empty() || s.status.code != StatusCodeValue::kUnset) {
      size_t sidx = Open();
      size_t sn = StringField(2, s.status.message) + VarintField(3, uint64_t(s.status.code));
      n += Nested(15, Close(sidx, sn));
    }
    return Close(idx, n);
  }
  size_t ScopeSpansBody(const ScopeSpans& ss) {
    size_t idx = Open();
    size_t scope_idx = Open();
    size_t scope = StringField(1, ss.scope.name) + StringField(2, ss.scope.version) +
                   Attrs(3, ss.scope.attributes) +
                   VarintField(4, ss.scope.dropped_attributes_count);
    size_t n = Nested(1, Close(scope_idx, scope));
    for (const Span& s : ss.spans) n += Nested(2, SpanBody(s));
    n += StringField(3, ss.schema_url);
    return Close(idx, n);
  }
  size_t ResourceSpansBody(const ResourceSpans& rs) {
    size_t idx = Open();
    size_t res_idx = Open();
    size_t res =
        Attrs(1, rs.resource.attributes) + VarintField(2, rs.resource.dropped_attributes_count);
    size_t n = Nested(1, Close(res_idx, res));
    for (const ScopeSpans& ss : rs.scope_spans) n += Nested(2, ScopeSpansBody(ss));
    n += StringField(3, rs.schema_url);
    return Close(idx, n);
  }

 private:
  size_t Open() {
    sizes.push_back(0);
    return sizes.size() - 1;
  }
  size_t Close(size_t idx, size_t n) {
    sizes[idx] = static_cast<uint32_t>(n);
    return n;
  }
};

// Pass 2: writes, consuming the sizes in the order Sizer produced them.
class Writer {
 public:
  Writer(const std::vector<uint32_t>& sizes, char* out) : sizes_(sizes), p_(out) {}
  char* position() const { return p_; }

  void AnyValueMsg(uint32_t field, const AnyValue& v) {
    Begin(field);
    switch (v.type) {
      case ValueType::kEmpty: break;
      case ValueType::kString: p_ = wire::WriteBytes(p_, 1, v.string_value); break;
      case ValueType::kBytes: p_ = wire::WriteBytes(p_, 7, v.string_value); break;
      case ValueType::kBool:
        p_ = wire::WriteTag(p_, 2, wire::kVarint);
        *p_++ = v.bool_value ? 1 : 0;
        break;
      case ValueType::kInt:
        p_ = wire::WriteTag(p_, 3, wire::kVarint);
        p_ = wire::WriteVarint(p_, static_cast<uint64_t>(v.int_value));
        break;
      case ValueType::kDouble:
        p_ = wire::WriteTag(p_, 4, wire::kFixed64);
        p_ = wire::WriteRaw(p_, &v.double_value, 8);
        break;
      case ValueType::kArray:
        Begin(5);
        for (const AnyValue& item : v.array_value) AnyValueMsg(1, item);
        break;
      case ValueType::kKvList:
        Begin(6);
        for (const KeyValue& kv : v.kvlist_value) KeyValueMsg(1, kv);
        break;
    }
  }
  void KeyValueMsg(uint32_t field, const KeyValue& kv) {
    Begin(field);
    String(1, kv.key);
    AnyValueMsg(2, kv.value);
  }
  void Attrs(uint32_t field, const Attributes& attrs) {
    for (const KeyValue& kv : attrs) KeyValueMsg(field, kv);
  }
  void SpanMsg(const Span& s) {
    Begin(2);
    p_ = wire::WriteBytes(p_, 1, s.trace_id.AsBytes());
    p_ = wire::WriteBytes(p_, 2, s.span_id.AsBytes());
    String(3, s.trace_state);
    if (!s.parent_span_id.IsZero()) p_ = wire::WriteBytes(p_, 4, s.parent_span_id.AsBytes());
    String(5, s.name);
    Varint(6, static_cast<uint64_t>(s.kind));
    Fixed64(7, s.start_time_unix_nano);
    Fixed64(8, s.end_time_unix_nano);
    Attrs(9, s.attributes);
    Varint(10, s.dropped_attributes_count);
    for (const SpanEvent& e : s.events) {
      Begin(11);
      Fixed64(1, e.time_unix_nano);
      String(2, e.name);
      Attrs(3, e.attributes);
      Varint(4, e.dropped_attributes_count);
    }
    Varint(12, s.dropped_events_count);
    for (const SpanLink& l : s.links) {
      Begin(13);
      p_ = wire::WriteBytes(p_, 1, l.trace_id.AsBytes());
      p_ = wire::WriteBytes(p_, 2, l.span_id.AsBytes());
      String(3, l.trace_state);
      Attrs(4, l.attributes);
      Varint(5, l.dropped_attributes_count);
      Fixed32(6, l.flags);
    }
    Varint(14, s.dropped_links_count);
    if (!s.status.message.empty() || s.status.code != StatusCodeValue::kUnset) {
      Begin(15);
      String(2, s.status.message);
      Varint(3, static_cast<uint64_t>(s.status.code));
    }
    Fixed32(16, s.flags);
  }
  void ScopeSpansMsg(const ScopeSpans& ss) {
    Begin(2);
    Begin(1);
    String(1, ss.scope.name);
    String(2, ss.scope.version);
    Attrs(3, ss.scope.attributes);
    Varint(4, ss.scope.dropped_attributes_count);
    for (const Span& s : ss.spans) SpanMsg(s);
    String(3, ss.schema_url);
  }
  void ResourceSpansMsg(const ResourceSpans& rs) {
    Begin(1);
    Begin(1);
    Attrs(1, rs.resource.attributes);
    Varint(2, rs.resource.dropped_attributes_count);
    for (const ScopeSpans& ss : rs.scope_spans) ScopeSpansMsg(ss);
    String(3, rs.schema_url);
  }

 private:
  // Writes the tag and length of the next nested message.
  void Begin(uint32_t field) {
    p_ = wire::WriteTag(p_, field, wire::kLen);
    p_ = wire::WriteVarint(p_, sizes_[next_++]);
  }
  void String(uint32_t field, std::string_view s) {
    if (!s.empty()) p_ = wire::WriteBytes(p_, field, s);
  }
  void Varint(uint32_t field, uint64_t v) {
    if (v == 0) return;
    p_ = wire::WriteTag(p_, field, wire::kVarint);
    p_ = wire::WriteVarint(p_, v);
  }
  void Fixed64(uint32_t field, uint64_t v) {
    if (v == 0) return;
    p_ = wire::WriteTag(p_, field, wire::kFixed64);
    p_ = wire::WriteRaw(p_, &v, 8);
  }
  void Fixed32(uint32_t field, uint32_t v) {
    if (v == 0) return;
    p_ = wire::WriteTag(p_, field, wire::kFixed32);
    p_ = wire::WriteRaw(p_, &v, 4);
  }

  const std::vector<uint32_t>& sizes_;
  char* p_;
  size_t next_ = 0;
};

}  // namespace

void EncodeTracesProto(const Traces& traces, std::string* out) {
  if (const std::vector<std::string_view>* wire = traces.wire()) {
    size_t total = 0;
    for (std::string_view part : *wire) total += part.size();
    out->reserve(out->size() + total);
    for (std::string_view part : *wire) out->append(part);
    return;
  }
  Sizer sizer;
  size_t total = 0;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    total += LenFieldSize(1, sizer.ResourceSpansBody(rs));
  }
  size_t start = out->size();
  out->resize(start + total);
  Writer writer(sizer.sizes, out->data() + start);
  for (const ResourceSpans& rs : traces.resource_spans()) writer.ResourceSpansMsg(rs);
  // The two passes must agree to the byte; a mismatch is a bug in Sizer.
  if (writer.position() != out->data() + out->size()) std::abort();
}

size_t TracesProtoSize(const Traces& traces) {
  size_t total = 0;
  if (const std::vector<std::string_view>* wire = traces.wire()) {
    for (std::string_view part : *wire) total += part.size();
    return total;
  }
  Sizer sizer;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    total += LenFieldSize(1, sizer.ResourceSpansBody(rs));
  }
  return total;
}

std::string EncodeTracesProto(const Traces& traces) {
  std::string out;
  EncodeTracesProto(traces, &out);
  return out;
}

}  // namespace polytrace::otlp

// The zero-copy OTLP protobuf decoder (see proto_codec.h).
//
// One Decoder walks the message once; every string is a view into the input.
// A small stack of (field, index) pairs is kept so that an error can name its
// path; the message string is only built when an error happens.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "otlp/decode_budget.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"

namespace polytrace::otlp {
namespace {

using wire::Reader;
using wire::WireType;

constexpr int kMaxValueDepth = kMaxAnyValueDepth;

// Most OTLP strings are short ASCII: checking 8 bytes at a time is cheaper
// than a call into the SIMD validator, which handles the rest.
inline bool IsAscii(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t acc = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc |= w;
  }
  for (; n > 0; ++p, --n) acc |= static_cast<unsigned char>(*p);
  return (acc & 0x8080808080808080ULL) == 0;
}

// Counts the occurrences of fields 1..15 in a message (tags and skips
// only), so repeated fields can be allocated once at their final size:
// growing arrays by doubling cost copies and wasted arena space. Malformed
// data just stops the count; the decoder proper reports it.
struct FieldCounts {
  uint32_t n[16] = {};
  explicit FieldCounts(std::string_view data) {
    Reader r(data, 0);
    uint32_t field;
    WireType type;
    while (!r.done() && r.ReadTag(&field, &type) && r.Skip(type)) {
      if (field < 16) ++n[field];
    }
  }
};

// Tag bytes of Span.attributes (field 9) and Resource.attributes (field 1),
// length-delimited.
constexpr uint8_t kSpanAttributesTag = (9 << 3) | wire::kLen;
constexpr uint8_t kResourceAttributesTag = (1 << 3) | wire::kLen;

// ResourceSpans.instrumentation_library_spans, removed in OTLP 1.0.
constexpr uint32_t kInstrumentationLibrarySpans = 1000;

// Most attributes are an ASCII key of under 128 bytes and a scalar or a
// short ASCII string: read straight from the bytes, every length one byte,
// fields in order. Anything else (including anything invalid) returns false
// and takes the general path, which reports errors. Attributes were most of
// the decoding time: this path decodes realistic spans 1.3 times faster.
inline bool DecodeCommonKeyValue(std::string_view msg, KeyValue* kv) {
  const auto* p = reinterpret_cast<const uint8_t*>(msg.data());
  const uint8_t* end = p + msg.size();
  // key: tag 0x0A, length; value: tag 0x12, length, ending the message.
  if (msg.size() < 4 || p[0] != 0x0A || p[1] >= 0x80 || size_t{p[1]} + 4 > msg.size()) return false;
  const uint8_t* q = p + 2 + p[1];
  if (q[0] != 0x12 || q[1] >= 0x80 || size_t{q[1]} != size_t(end - q) - 2) return false;
  std::string_view key(reinterpret_cast<const char*>(p + 2), p[1]);
  if (!IsAscii(key)) return false;
  const uint8_t* v = q + 2;
  size_t n = q[1];
  AnyValue& value = kv->value;
  if (n == 0) {
    // An empty AnyValue.
  } else if (v[0] == 0x0A) {  // string_value
    if (n < 2 || v[1] >= 0x80 || size_t{v[1]} + 2 != n) return false;
    std::string_view text(reinterpret_cast<const char*>(v + 2), v[1]);
    if (!IsAscii(text)) return false;
    value.type = ValueType::kString;
    value.string_value = text;
  } else if (v[0] == 0x10 || v[0] == 0x18) {  // bool_value, int_value: varints
    if (n > 10) return false;                 // 9 bytes of varint at most: no overflow to check
    uint64_t x = 0;
    for (size_t i = 1; i < n; ++i) {
      bool last = i + 1 == n;
      if (((v[i] & 0x80) == 0) != last) return false;
      x |= uint64_t{v[i] & 0x7fu} << (7 * (i - 1));
    }
    if (n < 2) return false;
    if (v[0] == 0x10) {
      value.type = ValueType::kBool;
      value.bool_value = x != 0;
    } else {
      value.type = ValueType::kInt;
      value.int_value = static_cast<int64_t>(x);
    }
  } else if (v[0] == 0x21 && n == 9) {  // double_value
    value.type = ValueType::kDouble;
    std::memcpy(&value.double_value, v + 1, 8);
  } else {
    return false;
  }
  kv->key = key;
  return true;
}

// For scans: the length of the run of attributes (each a field with tag
// byte `tag`) at [p, end) that are a string key with a string value, or an
// empty one, and whose bytes are all ASCII: tags and one-byte lengths are
// under 0x80 as well, so one check of the whole encoding validates their
// text, and each needs its shape checked only. The first attribute of any
// other form ends the run; the general path reads it (and reports errors).
// Attributes were two thirds of scanning 20-attribute spans.
inline size_t AsciiStringAttributesRun(const uint8_t* p, const uint8_t* end, uint8_t tag) {
  const uint8_t* start = p;
  while (end - p >= 6 && p[0] == tag && p[1] < 0x80) {
    const size_t n = p[1];  // KeyValue: 0x0A key-length key 0x12 value-length value
    const uint8_t* kv = p + 2;
    if (n < 4 || n > size_t(end - kv) || kv[0] != 0x0A || size_t{kv[1]} + 4 > n) break;
    const uint8_t* value = kv + 2 + kv[1];
    const size_t value_length = n - kv[1] - 4;  // the rest of the KeyValue
    if (value[0] != 0x12 || value[1] != value_length) break;
    // AnyValue: empty, or 0x0A string-length string and nothing else.
    if (value_length != 0 &&
        (value_length < 2 || value[2] != 0x0A || size_t{value[3]} + 2 != value_length)) {
      break;
    }
    if (!IsAscii(std::string_view(reinterpret_cast<const char*>(kv), n))) break;
    p = kv + n;
  }
  return static_cast<size_t>(p - start);
}

// For scans: the length of a span's head at [p, end) when written as every
// SDK writes it: trace_id (16 bytes), span_id (8), parent_span_id (8, or
// absent), an ASCII name under 128 bytes, a one-byte kind, start and end
// times; the IDs go to `span` (a scan checks them for zeros). The general
// loop dispatches each field through a switch, an indirect jump that is
// mispredicted when a request's spans arrive with the caches cold (17% of
// the samples of scanning tiny spans sat on it); this is a straight run of
// compares. It stops at the first field of another form, which the loop
// reads with the rest, so what is accepted is unchanged.
inline size_t SpanHeadRun(const uint8_t* p, const uint8_t* end, Span* span) {
  const uint8_t* start = p;
  if (end - p < 28 || p[0] != 0x0A || p[1] != 16 || p[18] != 0x12 || p[19] != 8) return 0;
  std::memcpy(span->trace_id.bytes.data(), p + 2, 16);
  std::memcpy(span->span_id.bytes.data(), p + 20, 8);
  p += 28;
  if (end - p >= 10 && p[0] == 0x22 && p[1] == 8) p += 10;  // parent_span_id
  if (end - p < 2 || p[0] != 0x2A || p[1] >= 0x80 || size_t(end - p - 2) < p[1] ||
      !IsAscii(std::string_view(reinterpret_cast<const char*>(p + 2), p[1]))) {
    return static_cast<size_t>(p - start);
  }
  p += 2 + p[1];  // name
  if (end - p < 2 || p[0] != 0x30 || p[1] >= 0x80) return static_cast<size_t>(p - start);
  p += 2;  // kind
  if (end - p < 18 || p[0] != 0x39 || p[9] != 0x41) return static_cast<size_t>(p - start);
  return static_cast<size_t>(p + 18 - start);  // start, end times
}

// For scans: the length of an empty status (what SDKs send for an unset
// one) and the flags, when they come next at [p, end): fields that follow
// the attributes in every SDK's spans.
inline size_t SpanStatusAndFlagsRun(const uint8_t* p, const uint8_t* end) {
  const uint8_t* start = p;
  if (end - p >= 2 && p[0] == 0x7A && p[1] == 0) p += 2;     // status {}
  if (end - p >= 6 && p[0] == 0x85 && p[1] == 0x01) p += 6;  // flags, fixed32
  return static_cast<size_t>(p - start);
}

// kBuild: decode into `out`. Otherwise only check the request, exactly as
// decoding does (the same code: what a scan accepts, decoding accepts), and
// count its spans: each object is decoded into one scratch copy that the
// next overwrites, so no span is built.
template <bool kBuild>
class Decoder {
 public:
  explicit Decoder(Traces* out) : out_(out), arena_(kBuild ? &out->arena() : nullptr) {}

  Status DecodeRequest(std::string_view data) {
    if constexpr (kBuild) budget_ = arena_->bytes_allocated() + DecodeBudget(data.size());
    Status st = DecodeMessages(data);
    if (over_budget_) {
      return Status::InvalidArgument(fmt::format(
          "the request ({} bytes) would take more than {} bytes decoded ({}x its size + 1 MiB): "
          "send smaller batches",
          data.size(), DecodeBudget(data.size()), kDecodedBytesPerInputByte));
    }
    return st;
  }

  size_t spans() const { return spans_; }
  bool has_invalid_ids() const { return has_invalid_ids_; }
  bool used_library_spans() const { return used_library_spans_; }

 private:
  Status DecodeMessages(std::string_view data) {
    Reader r(data, 0);
    uint32_t field;
    WireType type;
    ArenaVec<ResourceSpans> scan_list;
    ArenaVec<ResourceSpans>& list = kBuild ? out_->resource_spans() : scan_list;
    Reserve(list, list.size() + FieldCounts(data).n[1]);
    while (!r.done() && !over_budget_) {
      if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag");
      if (field == 1) {
        std::string_view msg;
        if (!ExpectLen(r, type, "resource_spans", &msg)) return error_;
        Push("resource_spans", list.size());
        ResourceSpans& rs = Next(list, scratch_.resource_spans);
        if (!DecodeResourceSpans(msg, r.offset() - msg.size(), &rs)) return error_;
        Pop();
      } else if (!r.Skip(type)) {
        return Fail(r, "truncated or invalid unknown field");
      }
    }
    return Status::Ok();
  }

  // Where the next element of a repeated field is decoded to. Past the
  // budget, nothing more is allocated: the rest is decoded into scratch (the
  // walk stays linear in the input) and the request is refused.
  template <class T>
  T& Next(ArenaVec<T>& list, T& scratch) {
    if constexpr (kBuild) {
      if (arena_->bytes_allocated() + list.GrowthBytes() <= budget_) return list.Append(*arena_);
      over_budget_ = true;
      return scratch;
    } else {
      // Scratch objects are only written, except the IDs a scan checks.
      if constexpr (std::is_same_v<T, Span>) scratch.trace_id = {}, scratch.span_id = {};
      return scratch;
    }
  }
  template <class T>
  void Reserve(ArenaVec<T>& list, size_t n) {
    if constexpr (kBuild) {
      // Counted from the input: 3 million empty spans would reserve 576 MB here.
      if (arena_->bytes_allocated() + n * sizeof(T) > budget_) {
        over_budget_ = true;
        return;
      }
      list.Reserve(*arena_, n);
    }
  }

  struct PathEntry {
    const char* name;
    size_t index;  // SIZE_MAX: not a repeated field
  };

  // A fixed stack: pushes are plain stores on the hot path. Nesting is bounded
  // by kMaxValueDepth (three entries a level) plus the fixed message levels.
  void Push(const char* name, size_t index = SIZE_MAX) {
    if (depth_ < kMaxPath) path_[depth_] = {name, index};
    ++depth_;
  }
  void Pop() { --depth_; }

  std::string PathString(const char* leaf) const {
    std::string out;
    for (size_t i = 0; i < std::min(depth_, kMaxPath); ++i) {
      const PathEntry& e = path_[i];
      if (!out.empty()) out += '.';
      out += e.name;
      if (e.index != SIZE_MAX) out += fmt::format("[{}]", e.index);
    }
    if (leaf) out += out.empty() ? leaf : std::string(".") + leaf;
    return out.empty() ? "request" : out;
  }

  // Records the error (read back by the caller) and returns it.
  const Status& Fail(const Reader& r, const std::string& what, const char* leaf = nullptr) {
    error_ = Status::InvalidArgument(
        fmt::format("{}: {} (byte {})", PathString(leaf), what, r.offset()));
    return error_;
  }

  bool ExpectLen(Reader& r, WireType type, const char* name, std::string_view* out) {
    if (type != wire::kLen) {
      Fail(r, fmt::format("wrong wire type {} (expected 2, length-delimited)", int(type)), name);
      return false;
    }
    if (!r.ReadBytes(out)) {
      Fail(r, "truncated field", name);
      return false;
    }
    return true;
  }
  bool ExpectString(Reader& r, WireType type, const char* name, std::string_view* out) {
    if (!ExpectLen(r, type, name, out)) return false;
    if (!IsAscii(*out) && !simdjson::validate_utf8(out->data(), out->size())) {
      Fail(r, "string is not valid UTF-8", name);
      return false;
    }
    return true;
  }
  bool ExpectVarint(Reader& r, WireType type, const char* name, uint64_t* out) {
    if (type != wire::kVarint) {
      Fail(r, fmt::format("wrong wire type {} (expected 0, varint)", int(type)), name);
      return false;
    }
    if (!r.ReadVarint(out)) {
      Fail(r, "truncated or invalid varint", name);
      return false;
    }
    return true;
  }
  bool ExpectUint32(Reader& r, WireType type, const char* name, uint32_t* out) {
    uint64_t v = 0;
    if (!ExpectVarint(r, type, name, &v)) return false;
    *out = static_cast<uint32_t>(v);
    return true;
  }
  bool ExpectFixed64(Reader& r, WireType type, const char* name, uint64_t* out) {
    if (type != wire::kFixed64) {
      Fail(r, fmt::format("wrong wire type {} (expected 1, fixed64)", int(type)), name);
      return false;
    }
    if (!r.ReadFixed64(out)) {
      Fail(r, "truncated fixed64", name);
      return false;
    }
    return true;
  }
  bool ExpectFixed32(Reader& r, WireType type, const char* name, uint32_t* out) {
    if (type != wire::kFixed32) {
      Fail(r, fmt::format("wrong wire type {} (expected 5, fixed32)", int(type)), name);
      return false;
    }
    if (!r.ReadFixed32(out)) {
      Fail(r, "truncated fixed32", name);
      return false;
    }
    return true;
  }
  template <size_t N>
  bool ExpectId(Reader& r, WireType type, const char* name, Id<N>* out) {
    std::string_view raw;
    if (!ExpectLen(r, type, name, &raw)) return false;
    if (raw.empty()) {
      *out = Id<N>();
      return true;
    }
    if (raw.size() != N) {
      Fail(r, fmt::format("length {}, expected {}", raw.size(), N), name);
      return false;
    }
    std::memcpy(out->bytes.data(), raw.data(), N);
    return true;
  }
  bool SkipUnknown(Reader& r, WireType type) {
    if (r.Skip(type)) return true;
    Fail(r, type == wire::kStartGroup || type == wire::kEndGroup
                ? "groups are not supported"
                : "truncated or invalid unknown field");
    return false;
  }

  bool DecodeResourceSpans(std::string_view data, size_t base, ResourceSpans* rs);
  bool DecodeResource(std::string_view data, size_t base, Resource* res);
  bool DecodeScopeSpans(std::string_view data, size_t base, ScopeSpans* ss);
  bool DecodeScope(std::string_view data, size_t base, InstrumentationScope* scope);
  bool DecodeSpan(std::string_view data, size_t base, Span* span);
  bool DecodeEvent(std::string_view data, size_t base, SpanEvent* event);
  bool DecodeLink(std::string_view data, size_t base, SpanLink* link);
  bool DecodeStatus(std::string_view data, size_t base, SpanStatus* status);
  bool DecodeKeyValue(std::string_view data, size_t base, KeyValue* kv, int depth);
  bool DecodeAnyValue(std::string_view data, size_t base, AnyValue* value, int depth);
  bool DecodeAttribute(Reader& r, WireType type, const char* name, Attributes* attrs, int depth);

  static constexpr size_t kMaxPath = 3 * kMaxValueDepth + 16;
  Traces* out_;
  Arena* arena_;  // null when scanning
  struct Scratch {
    ResourceSpans resource_spans;
    ScopeSpans scope_spans;
    Span span;
    SpanEvent event;
    SpanLink link;
    KeyValue key_value;
    AnyValue value;
  } scratch_;
  size_t spans_ = 0;
  bool has_invalid_ids_ = false;
  bool used_library_spans_ = false;
  size_t budget_ = SIZE_MAX;  // arena bytes allowed (kBuild)
  bool over_budget_ = false;
  PathEntry path_[kMaxPath];
  size_t depth_ = 0;
  Status error_;
};

template <bool kBuild>
bool Decoder<kBuild>::DecodeAttribute(Reader& r, WireType type, const char* name, Attributes* attrs,
                                      int depth) {
  std::string_view msg;
  if (!ExpectLen(r, type, name, &msg)) return false;
  KeyValue& kv = Next(*attrs, scratch_.key_value);
  if (DecodeCommonKeyValue(msg, &kv)) return true;
  kv = KeyValue();
  Push(name, attrs->size() - (kBuild ? 1 : 0));
  if (!DecodeKeyValue(msg, r.offset() - msg.size(), &kv, depth)) return false;
  Pop();
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeResourceSpans(std::string_view data, size_t base, ResourceSpans* rs) {
  Reader r(data, base);
  if constexpr (kBuild) Reserve(rs->scope_spans, FieldCounts(data).n[2]);
  int has_scope_spans = -1;  // counted on the first instrumentation_library_spans
  uint32_t field;
  WireType type;
  std::string_view msg;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    switch (field) {
      case 1:
        if (!ExpectLen(r, type, "resource", &msg)) return false;
        Push("resource");
        if (!DecodeResource(msg, r.offset() - msg.size(), &rs->resource)) return false;
        Pop();
        break;
      case 2: {
        if (!ExpectLen(r, type, "scope_spans", &msg)) return false;
        Push("scope_spans", rs->scope_spans.size());
        ScopeSpans& ss = Next(rs->scope_spans, scratch_.scope_spans);
        if (!DecodeScopeSpans(msg, r.offset() - msg.size(), &ss)) return false;
        Pop();
        break;
      }
      case 3:
        if (!ExpectString(r, type, "schema_url", &rs->schema_url)) return false;
        break;
      case kInstrumentationLibrarySpans: {
        // SDKs from before OTLP 0.19 send their spans here; the message has
        // ScopeSpans' shape (InstrumentationLibrary is InstrumentationScope's
        // name and version). As the Collector did while the field was
        // deprecated, it counts only for a resource without scope_spans.
        if (!ExpectLen(r, type, "instrumentation_library_spans", &msg)) return false;
        if (has_scope_spans < 0) has_scope_spans = FieldCounts(data).n[2] > 0;
        if (has_scope_spans) break;
        used_library_spans_ = true;
        Push("instrumentation_library_spans", rs->scope_spans.size());
        ScopeSpans& ss = Next(rs->scope_spans, scratch_.scope_spans);
        if (!DecodeScopeSpans(msg, r.offset() - msg.size(), &ss)) return false;
        ss.from_instrumentation_library = true;
        Pop();
        break;
      }
      default:
        if (!SkipUnknown(r, type)) return false;
    }
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeResource(std::string_view data, size_t base, Resource* res) {
  Reader r(data, base);
  uint32_t field;
  WireType type;
  while (!r.done()) {
    if constexpr (!kBuild) {
      r.Advance(AsciiStringAttributesRun(r.cursor(), r.end(), kResourceAttributesTag));
      if (r.done()) break;
    }
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    if (field == 1) {
      if (!DecodeAttribute(r, type, "attributes", &res->attributes, 0)) return false;
    } else if (field == 2) {
      if (!ExpectUint32(r, type, "dropped_attributes_count", &res->dropped_attributes_count))
        return false;
    } else if (!SkipUnknown(r, type)) {
      return false;
    }
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeScopeSpans(std::string_view data, size_t base, ScopeSpans* ss) {
  Reader r(data, base);
  if constexpr (kBuild) Reserve(ss->spans, FieldCounts(data).n[2]);
  uint32_t field;
  WireType type;
  std::string_view msg;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    switch (field) {
      case 1:
        if (!ExpectLen(r, type, "scope", &msg)) return false;
        Push("scope");
        if (!DecodeScope(msg, r.offset() - msg.size(), &ss->scope)) return false;
        Pop();
        break;
      case 2: {
        if (!ExpectLen(r, type, "spans", &msg)) return false;
        Push("spans", ss->spans.size());
        Span& span = Next(ss->spans, scratch_.span);
        if (!DecodeSpan(msg, r.offset() - msg.size(), &span)) return false;
        ++spans_;
        has_invalid_ids_ |= span.trace_id.IsZero() || span.span_id.IsZero();
        Pop();
        break;
      }
      case 3:
        if (!ExpectString(r, type, "schema_url", &ss->schema_url)) return false;
        break;
      default:
        if (!SkipUnknown(r, type)) return false;
    }
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeScope(std::string_view data, size_t base, InstrumentationScope* scope) {
  Reader r(data, base);
  uint32_t field;
  WireType type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    bool ok = true;
    switch (field) {
      case 1: ok = ExpectString(r, type, "name", &scope->name); break;
      case 2: ok = ExpectString(r, type, "version", &scope->version); break;
      case 3: ok = DecodeAttribute(r, type, "attributes", &scope->attributes, 0); break;
      case 4:
        ok = ExpectUint32(r, type, "dropped_attributes_count", &scope->dropped_attributes_count);
        break;
      default: ok = SkipUnknown(r, type);
    }
    if (!ok) return false;
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeSpan(std::string_view data, size_t base, Span* s) {
  Reader r(data, base);
  if (kBuild && data.size() > 256) {  // small spans fit the first allocation anyway
    FieldCounts counts(data);
    Reserve(s->attributes, counts.n[9]);
    Reserve(s->events, counts.n[11]);
    Reserve(s->links, counts.n[13]);
  }
  uint32_t field;
  WireType type;
  std::string_view msg;
  uint64_t v = 0;
  if constexpr (!kBuild) r.Advance(SpanHeadRun(r.cursor(), r.end(), s));
  while (!r.done()) {
    if constexpr (!kBuild) {
      r.Advance(AsciiStringAttributesRun(r.cursor(), r.end(), kSpanAttributesTag));
      r.Advance(SpanStatusAndFlagsRun(r.cursor(), r.end()));
      if (r.done()) break;
    }
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    bool ok = true;
    switch (field) {
      case 1: ok = ExpectId(r, type, "trace_id", &s->trace_id); break;
      case 2: ok = ExpectId(r, type, "span_id", &s->span_id); break;
      case 3: ok = ExpectString(r, type, "trace_state", &s->trace_state); break;
      case 4: ok = ExpectId(r, type, "parent_span_id", &s->parent_span_id); break;
      case 5: ok = ExpectString(r, type, "name", &s->name); break;
      case 6:
        ok = ExpectVarint(r, type, "kind", &v);
        s->kind = static_cast<SpanKind>(v);
        break;
      case 7: ok = ExpectFixed64(r, type, "start_time_unix_nano", &s->start_time_unix_nano); break;
      case 8: ok = ExpectFixed64(r, type, "end_time_unix_nano", &s->end_time_unix_nano); break;
      case 9: ok = DecodeAttribute(r, type, "attributes", &s->attributes, 0); break;
      case 10:
        ok = ExpectUint32(r, type, "dropped_attributes_count", &s->dropped_attributes_count);
        break;
      case 11:
        ok = ExpectLen(r, type, "events", &msg);
        if (ok) {
          Push("events", s->events.size());
          ok = DecodeEvent(msg, r.offset() - msg.size(), &Next(s->events, scratch_.event));
          if (ok) Pop();
        }
        break;
      case 12: ok = ExpectUint32(r, type, "dropped_events_count", &s->dropped_events_count); break;
      case 13:
        ok = ExpectLen(r, type, "links", &msg);
        if (ok) {
          Push("links", s->links.size());
          ok = DecodeLink(msg, r.offset() - msg.size(), &Next(s->links, scratch_.link));
          if (ok) Pop();
        }
        break;
      case 14: ok = ExpectUint32(r, type, "dropped_links_count", &s->dropped_links_count); break;
      case 15:
        ok = ExpectLen(r, type, "status", &msg);
        if (ok) {
          Push("status");
          ok = DecodeStatus(msg, r.offset() - msg.size(), &s->status);
          if (ok) Pop();
        }
        break;
      case 16: ok = ExpectFixed32(r, type, "flags", &s->flags); break;
      default: ok = SkipUnknown(r, type);
    }
    if (!ok) return false;
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeEvent(std::string_view data, size_t base, SpanEvent* e) {
  Reader r(data, base);
  uint32_t field;
  WireType type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    bool ok = true;
    switch (field) {
      case 1: ok = ExpectFixed64(r, type, "time_unix_nano", &e->time_unix_nano); break;
      case 2: ok = ExpectString(r, type, "name", &e->name); break;
      case 3: ok = DecodeAttribute(r, type, "attributes", &e->attributes, 0); break;
      case 4:
        ok = ExpectUint32(r, type, "dropped_attributes_count", &e->dropped_attributes_count);
        break;
      default: ok = SkipUnknown(r, type);
    }
    if (!ok) return false;
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeLink(std::string_view data, size_t base, SpanLink* l) {
  Reader r(data, base);
  uint32_t field;
  WireType type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    bool ok = true;
    switch (field) {
      case 1: ok = ExpectId(r, type, "trace_id", &l->trace_id); break;
      case 2: ok = ExpectId(r, type, "span_id", &l->span_id); break;
      case 3: ok = ExpectString(r, type, "trace_state", &l->trace_state); break;
      case 4: ok = DecodeAttribute(r, type, "attributes", &l->attributes, 0); break;
      case 5:
        ok = ExpectUint32(r, type, "dropped_attributes_count", &l->dropped_attributes_count);
        break;
      case 6: ok = ExpectFixed32(r, type, "flags", &l->flags); break;
      default: ok = SkipUnknown(r, type);
    }
    if (!ok) return false;
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeStatus(std::string_view data, size_t base, SpanStatus* st) {
  Reader r(data, base);
  uint32_t field;
  WireType type;
  uint64_t v = 0;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    bool ok = true;
    if (field == 2) {
      ok = ExpectString(r, type, "message", &st->message);
    } else if (field == 3) {
      ok = ExpectVarint(r, type, "code", &v);
      st->code = static_cast<StatusCodeValue>(v);
    } else {
      ok = SkipUnknown(r, type);
    }
    if (!ok) return false;
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeKeyValue(std::string_view data, size_t base, KeyValue* kv, int depth) {
  Reader r(data, base);
  uint32_t field;
  WireType type;
  std::string_view msg;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    if (field == 1) {
      if (!ExpectString(r, type, "key", &kv->key)) return false;
    } else if (field == 2) {
      if (!ExpectLen(r, type, "value", &msg)) return false;
      Push("value");
      if (!DecodeAnyValue(msg, r.offset() - msg.size(), &kv->value, depth)) return false;
      Pop();
    } else if (!SkipUnknown(r, type)) {
      return false;
    }
  }
  return true;
}

template <bool kBuild>
bool Decoder<kBuild>::DecodeAnyValue(std::string_view data, size_t base, AnyValue* value,
                                     int depth) {
  if (depth >= kMaxValueDepth) {
    Reader r(data, base);
    Fail(r, fmt::format("values nested deeper than {} levels", kMaxValueDepth));
    return false;
  }
  Reader r(data, base);
  uint32_t field;
  WireType type;
  std::string_view msg;
  uint64_t v = 0;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Fail(r, "invalid field tag"), false;
    bool ok = true;
    switch (field) {
      case 1:
        value->type = ValueType::kString;
        ok = ExpectString(r, type, "string_value", &value->string_value);
        break;
      case 2:
        value->type = ValueType::kBool;
        ok = ExpectVarint(r, type, "bool_value", &v);
        value->bool_value = v != 0;
        break;
      case 3:
        value->type = ValueType::kInt;
        ok = ExpectVarint(r, type, "int_value", &v);
        value->int_value = static_cast<int64_t>(v);
        break;
      case 4:
        value->type = ValueType::kDouble;
        ok = ExpectFixed64(r, type, "double_value", &v);
        std::memcpy(&value->double_value, &v, 8);
        break;
      case 5:
      case 6: {
        bool is_array = field == 5;
        value->type = is_array ? ValueType::kArray : ValueType::kKvList;
        const char* name = is_array ? "array_value" : "kvlist_value";
        ok = ExpectLen(r, type, name, &msg);
        if (!ok) break;
        Push(name);
        Reader list(msg, r.offset() - msg.size());
        uint32_t f;
        WireType t;
        std::string_view item;
        while (ok && !list.done()) {
          if (!list.ReadTag(&f, &t)) return Fail(list, "invalid field tag"), false;
          if (f != 1) {
            ok = SkipUnknown(list, t);
            continue;
          }
          ok = ExpectLen(list, t, "values", &item);
          if (!ok) break;
          size_t item_base = list.offset() - item.size();
          if (is_array) {
            Push("values", value->array_value.size());
            ok = DecodeAnyValue(item, item_base, &Next(value->array_value, scratch_.value),
                                depth + 1);
          } else {
            Push("values", value->kvlist_value.size());
            ok = DecodeKeyValue(item, item_base, &Next(value->kvlist_value, scratch_.key_value),
                                depth + 1);
          }
          if (ok) Pop();
        }
        if (ok) Pop();
        break;
      }
      case 7:
        value->type = ValueType::kBytes;
        ok = ExpectLen(r, type, "bytes_value", &value->string_value);
        break;
      default: ok = SkipUnknown(r, type);
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status DecodeTracesProto(std::string_view request, Traces* out) {
  Decoder<true> decoder(out);
  return decoder.DecodeRequest(request);
}

Status DecodeTracesProto(std::string_view request, Traces* out, TracesScan* info) {
  Decoder<true> decoder(out);
  Status st = decoder.DecodeRequest(request);
  *info = {decoder.spans(), decoder.has_invalid_ids(), decoder.used_library_spans()};
  return st;
}

Status ScanTracesProto(std::string_view request, TracesScan* out) {
  Decoder<false> scanner(nullptr);
  if (scanner.DecodeRequest(request).ok()) {
    *out = {scanner.spans(), scanner.has_invalid_ids(), scanner.used_library_spans()};
    return Status::Ok();
  }
  // The scanner's paths have no indexes (it keeps no lists): decoding finds
  // the same error and names it fully.
  Traces discard;
  return DecodeTracesProto(request, &discard);
}

}  // namespace polytrace::otlp

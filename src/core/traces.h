// The span model: one batch of traces, decoded once and shared by every
// processor and exporter.
//
// Shape follows OTLP (ResourceSpans -> ScopeSpans -> Span). Strings are
// string_views into memory the batch keeps alive: the request buffer it was
// decoded from (zero-copy) or its own arena. All model structs are trivially
// destructible views; the Traces object owns the memory behind them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/ids.h"
#include "core/status.h"

namespace polytrace {

struct KeyValue;

enum class ValueType : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kBytes, kArray, kKvList };

struct AnyValue {
  ValueType type = ValueType::kEmpty;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string_view string_value;  // kString (UTF-8) and kBytes (raw)
  ArenaVec<AnyValue> array_value;
  ArenaVec<KeyValue> kvlist_value;

  static AnyValue String(std::string_view s) {
    AnyValue v;
    v.type = ValueType::kString;
    v.string_value = s;
    return v;
  }
  static AnyValue Bytes(std::string_view s) {
    AnyValue v;
    v.type = ValueType::kBytes;
    v.string_value = s;
    return v;
  }
  static AnyValue Bool(bool b) {
    AnyValue v;
    v.type = ValueType::kBool;
    v.bool_value = b;
    return v;
  }
  static AnyValue Int(int64_t i) {
    AnyValue v;
    v.type = ValueType::kInt;
    v.int_value = i;
    return v;
  }
  static AnyValue Double(double d) {
    AnyValue v;
    v.type = ValueType::kDouble;
    v.double_value = d;
    return v;
  }
};

struct KeyValue {
  std::string_view key;
  AnyValue value;
};

using Attributes = ArenaVec<KeyValue>;

enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

enum class StatusCodeValue : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

struct SpanStatus {
  std::string_view message;
  StatusCodeValue code = StatusCodeValue::kUnset;
};

struct SpanEvent {
  uint64_t time_unix_nano = 0;
  std::string_view name;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

struct SpanLink {
  TraceId trace_id;
  SpanId span_id;
  std::string_view trace_state;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  std::string_view trace_state;
  SpanId parent_span_id;  // all zero: a root span
  uint32_t flags = 0;
  std::string_view name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  ArenaVec<SpanEvent> events;
  uint32_t dropped_events_count = 0;
  ArenaVec<SpanLink> links;
  uint32_t dropped_links_count = 0;
  SpanStatus status;
};

struct InstrumentationScope {
  std::string_view name;
  std::string_view version;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

struct ScopeSpans {
  InstrumentationScope scope;
  ArenaVec<Span> spans;
  std::string_view schema_url;
  // Decoded from OTLP before 0.19 (instrumentation_library_spans); the
  // receiver marks such a scope with kInstrumentationLibraryAttribute.
  bool from_instrumentation_library = false;
};

// The scope attribute (true) that records a scope sent in OTLP before 0.19,
// so that the trace analysis can name the service that speaks it.
inline constexpr std::string_view kInstrumentationLibraryAttribute =
    "polytrace.otlp.instrumentation_library";

struct Resource {
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

struct ResourceSpans {
  Resource resource;
  ArenaVec<ScopeSpans> scope_spans;
  std::string_view schema_url;
};

// One batch. Move-only; a consumer that receives one owns it.
class Traces {
 public:
  Traces() = default;
  // A moved-from batch is empty and usable.
  Traces(Traces&& other) noexcept { *this = std::move(other); }
  Traces& operator=(Traces&& other) noexcept {
    if (this == &other) return *this;
    arena_ = std::move(other.arena_);
    keep_alive_ = std::move(other.keep_alive_);
    resource_spans_ = other.resource_spans_;
    wire_ = std::move(other.wire_);
    wire_known_ = other.wire_known_;
    decoded_ = other.decoded_;
    undecoded_spans_ = other.undecoded_spans_;
    decode_ = other.decode_;
    other.keep_alive_.clear();
    other.resource_spans_ = {};
    other.wire_.clear();
    other.wire_known_ = true;
    other.decoded_ = true;
    return *this;
  }
  Traces(const Traces&) = delete;
  Traces& operator=(const Traces&) = delete;

  // Where new strings and arrays of this batch are allocated.
  Arena& arena() {
    if (!arena_) arena_ = std::make_shared<Arena>();
    return *arena_;
  }
  // Mutable access may change the spans, so it forgets the wire form.
  ArenaVec<ResourceSpans>& resource_spans() {
    Materialize();
    ForgetWire();
    return resource_spans_;
  }
  const ArenaVec<ResourceSpans>& resource_spans() const {
    Materialize();
    return resource_spans_;
  }

  // The batch's OTLP protobuf encoding (an ExportTraceServiceRequest) when it
  // is known to be exactly what resource_spans() holds: the bytes requests
  // arrived in. Merging batches concatenates their parts (the request is one
  // repeated field, so concatenated requests are the merged request), and
  // exporters and the WAL send these bytes instead of encoding the spans
  // again (encoding was a fifth of the collector's CPU). nullptr when not
  // known: built or changed in memory, decoded from JSON, split.
  const std::vector<std::string_view>* wire() const { return wire_known_ ? &wire_ : nullptr; }
  // Declares `bytes` (which must live as long as this batch: Adopt them) to
  // be this batch's encoding. The receiver calls it after decoding them.
  void SetWire(std::string_view bytes) {
    wire_.assign(1, bytes);
    wire_known_ = true;
  }

  // A batch known only by its encoding, which otlp::ScanTracesProto found
  // valid with `spans` spans, none invalid: `decode` (otlp::DecodeTracesProto)
  // builds the spans the first time anything reads them. A pipeline that
  // only forwards requests (otlp -> batch -> otlphttp) never does: decoding
  // was over half of its CPU. Same lifetime rule for `bytes` as SetWire.
  // Reading is not thread-safe while undecoded: a batch has one owner.
  using WireDecoder = Status (*)(std::string_view, Traces*);
  void SetUndecoded(std::string_view bytes, size_t spans, WireDecoder decode);
  bool decoded() const { return decoded_; }

  // Takes ownership of `buffer`; views into the returned string_view stay
  // valid as long as this batch (and any batch split or merged from it).
  std::string_view Adopt(std::string buffer);

  size_t SpanCount() const;
  bool empty() const { return SpanCount() == 0; }

  // Moves all of `other` into this batch (no span is copied).
  void Append(Traces&& other);
  // Moves up to `max_spans` spans from the front of this batch into a new
  // batch. Both keep sharing memory; neither writes into the other's arrays.
  Traces SplitFront(size_t max_spans);
  // A second owner of the same (read-only) data, for consumers that do not
  // mutate: no span is copied. Appending to either reallocates privately.
  Traces Share() const;
  // A deep copy into fresh memory, for a consumer that mutates data.
  Traces Clone() const;
  // Drops empty scope/resource entries after spans were removed.
  void RemoveEmpty();

 private:
  std::shared_ptr<Arena> arena_;  // new allocations of this batch only; created lazily
  // Memory other batches' views may point into: merged/split arenas and adopted buffers.
  std::vector<std::shared_ptr<void>> keep_alive_;
  ArenaVec<ResourceSpans> resource_spans_;
  void ForgetWire() {
    wire_.clear();
    wire_known_ = false;
  }
  // Decodes an undecoded batch's wire form in place; the spans were there
  // all along as far as callers can tell, hence const.
  void Materialize() const {
    if (!decoded_) const_cast<Traces*>(this)->DecodeWire();
  }
  void DecodeWire();
  bool decoded_ = true;
  size_t undecoded_spans_ = 0;
  WireDecoder decode_ = nullptr;
  // An empty batch's encoding is known: zero bytes.
  std::vector<std::string_view> wire_;
  bool wire_known_ = true;
};

// Attribute helpers shared by processors, exporters and analysis.
const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key);
// Deep-copies a value's strings and nested arrays into `arena`.
AnyValue CloneValue(Arena& arena, const AnyValue& value);
Attributes CloneAttributes(Arena& arena, const Attributes& attributes);
// The string form the Collector uses for non-string values (e.g. "true", "42").
std::string ValueToString(const AnyValue& value);
// A value's type as Tempo's tag values name it: "string", "int", "double",
// "bool", "keyword" (anything else).
const char* ValueTypeName(ValueType type);
bool ValuesEqual(const AnyValue& a, const AnyValue& b);

constexpr std::string_view kServiceNameKey = "service.name";

// Array and kvlist values nest at most this deep (the outermost value is
// level 1). The OTLP decoders refuse deeper values with an error, so
// everything stored decodes again: the store's codec shares the bound.
constexpr int kMaxAnyValueDepth = 64;

}  // namespace polytrace

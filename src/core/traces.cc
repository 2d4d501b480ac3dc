#include "core/traces.h"

#include <fmt/format.h>

#include "core/base64.h"

namespace polytrace {

std::string_view Traces::Adopt(std::string buffer) {
  auto owned = std::make_shared<std::string>(std::move(buffer));
  std::string_view view = *owned;
  keep_alive_.push_back(std::move(owned));
  return view;
}

void Traces::SetUndecoded(std::string_view bytes, size_t spans, WireDecoder decode) {
  resource_spans_ = {};
  SetWire(bytes);
  decoded_ = false;
  undecoded_spans_ = spans;
  decode_ = decode;
}

void Traces::DecodeWire() {
  decoded_ = true;
  for (std::string_view part : wire_) {
    Traces piece;
    // Scanned before (ScanTracesProto runs the decoder's own checks), so
    // decoding cannot fail; if it did, spans acknowledged would be lost.
    if (!decode_(part, &piece).ok()) std::abort();
    if (piece.arena_) keep_alive_.push_back(std::move(piece.arena_));
    for (const ResourceSpans& rs : piece.resource_spans_) resource_spans_.Append(arena(), rs);
  }
}

size_t Traces::SpanCount() const {
  if (!decoded_) return undecoded_spans_;
  size_t n = 0;
  for (const ResourceSpans& rs : resource_spans_) {
    for (const ScopeSpans& ss : rs.scope_spans) n += ss.spans.size();
  }
  return n;
}

void Traces::Append(Traces&& other) {
  bool empty = decoded_ && wire_known_ && wire_.empty() && resource_spans_.size() == 0;
  if (!other.decoded_ && (empty || !decoded_)) {
    // Undecoded batches merge as their encodings: nothing is decoded.
    for (auto& k : other.keep_alive_) keep_alive_.push_back(std::move(k));
    wire_.insert(wire_.end(), other.wire_.begin(), other.wire_.end());
    wire_known_ = true;
    undecoded_spans_ = (decoded_ ? 0 : undecoded_spans_) + other.undecoded_spans_;
    decoded_ = false;
    decode_ = other.decode_;
    other = Traces();
    return;
  }
  Materialize();
  other.Materialize();
  if (other.arena_) keep_alive_.push_back(std::move(other.arena_));
  for (auto& k : other.keep_alive_) keep_alive_.push_back(std::move(k));
  other.keep_alive_.clear();
  for (const ResourceSpans& rs : other.resource_spans_) resource_spans_.Append(arena(), rs);
  other.resource_spans_ = {};
  if (wire_known_ && other.wire_known_) {
    wire_.insert(wire_.end(), other.wire_.begin(), other.wire_.end());
  } else {
    ForgetWire();
  }
  other.ForgetWire();
  other.wire_known_ = true;  // now empty
}

Traces Traces::Share() const {
  Traces view;
  view.decoded_ = decoded_;
  view.undecoded_spans_ = undecoded_spans_;
  view.decode_ = decode_;
  view.keep_alive_ = keep_alive_;
  if (arena_) view.keep_alive_.push_back(arena_);
  view.resource_spans_ = resource_spans_.Slice(0, resource_spans_.size());
  view.wire_ = wire_;
  view.wire_known_ = wire_known_;
  return view;
}

Traces Traces::SplitFront(size_t max_spans) {
  Materialize();
  Traces front = Share();
  front.resource_spans_ = {};
  Arena& fa = front.arena();
  // The remainder is rebuilt as fresh headers in a fresh arena: the old
  // arrays may be shared with another batch and are never written.
  ArenaVec<ResourceSpans> rest;
  auto rest_arena = std::make_shared<Arena>();

  size_t taken = 0;
  for (const ResourceSpans& rs : resource_spans_) {
    if (taken == max_spans) {
      rest.Append(*rest_arena, rs);
      continue;
    }
    ResourceSpans& out_rs = front.resource_spans_.Append(fa, rs);
    out_rs.scope_spans = {};
    ResourceSpans* rest_rs = nullptr;
    for (const ScopeSpans& ss : rs.scope_spans) {
      size_t n = std::min(ss.spans.size(), max_spans - taken);
      if (n > 0) {
        ScopeSpans& out_ss = out_rs.scope_spans.Append(fa, ss);
        out_ss.spans = ss.spans.Slice(0, n);
        taken += n;
      }
      if (n < ss.spans.size()) {
        if (rest_rs == nullptr) {
          rest_rs = &rest.Append(*rest_arena, rs);
          rest_rs->scope_spans = {};
        }
        ScopeSpans& rest_ss = rest_rs->scope_spans.Append(*rest_arena, ss);
        rest_ss.spans = ss.spans.Slice(n, ss.spans.size() - n);
      }
    }
  }
  if (arena_) keep_alive_.push_back(std::move(arena_));
  arena_ = std::move(rest_arena);
  resource_spans_ = rest;
  // Neither piece is a whole request any more.
  front.ForgetWire();
  ForgetWire();
  return front;
}

AnyValue CloneValue(Arena& arena, const AnyValue& value) {
  AnyValue out = value;
  out.string_value = arena.Copy(value.string_value);
  out.array_value = {};
  out.kvlist_value = {};
  if (value.type == ValueType::kArray) {
    out.array_value.Reserve(arena, value.array_value.size());
    for (const AnyValue& v : value.array_value) out.array_value.Append(arena, CloneValue(arena, v));
  } else if (value.type == ValueType::kKvList) {
    out.kvlist_value = CloneAttributes(arena, value.kvlist_value);
  }
  return out;
}

Attributes CloneAttributes(Arena& arena, const Attributes& attributes) {
  Attributes out;
  out.Reserve(arena, attributes.size());
  for (const KeyValue& kv : attributes) {
    out.Append(arena, KeyValue{arena.Copy(kv.key), CloneValue(arena, kv.value)});
  }
  return out;
}

Traces Traces::Clone() const {
  Materialize();
  Traces out;
  Arena& a = out.arena();
  out.resource_spans_.Reserve(a, resource_spans_.size());
  for (const ResourceSpans& rs : resource_spans_) {
    ResourceSpans& ors = out.resource_spans_.Append(a, rs);
    ors.schema_url = a.Copy(rs.schema_url);
    ors.resource.attributes = CloneAttributes(a, rs.resource.attributes);
    ors.scope_spans = {};
    for (const ScopeSpans& ss : rs.scope_spans) {
      ScopeSpans& oss = ors.scope_spans.Append(a, ss);
      oss.schema_url = a.Copy(ss.schema_url);
      oss.scope.name = a.Copy(ss.scope.name);
      oss.scope.version = a.Copy(ss.scope.version);
      oss.scope.attributes = CloneAttributes(a, ss.scope.attributes);
      oss.spans = {};
      oss.spans.Reserve(a, ss.spans.size());
      for (const Span& s : ss.spans) {
        Span& os = oss.spans.Append(a, s);
        os.trace_state = a.Copy(s.trace_state);
        os.name = a.Copy(s.name);
        os.status.message = a.Copy(s.status.message);
        os.attributes = CloneAttributes(a, s.attributes);
        os.events = {};
        for (const SpanEvent& e : s.events) {
          SpanEvent& oe = os.events.Append(a, e);
          oe.name = a.Copy(e.name);
          oe.attributes = CloneAttributes(a, e.attributes);
        }
        os.links = {};
        for (const SpanLink& l : s.links) {
          SpanLink& ol = os.links.Append(a, l);
          ol.trace_state = a.Copy(l.trace_state);
          ol.attributes = CloneAttributes(a, l.attributes);
        }
      }
    }
  }
  // The copy neither keeps the original's bytes alive nor is it built from
  // them: its wire form is unknown, not the zero bytes of an empty batch.
  out.ForgetWire();
  return out;
}

void Traces::RemoveEmpty() {
  Materialize();
  for (ResourceSpans& rs : resource_spans_) {
    rs.scope_spans.RemoveIf([](const ScopeSpans& ss) { return ss.spans.empty(); });
  }
  resource_spans_.RemoveIf([](const ResourceSpans& rs) { return rs.scope_spans.empty(); });
}

const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

namespace {

// Strings quoted, everything else as ValueToString (the Collector's form of
// arrays and maps).
void AppendJsonish(std::string& out, const AnyValue& v) {
  if (v.type == ValueType::kString) out += '"';
  out += ValueToString(v);
  if (v.type == ValueType::kString) out += '"';
}

}  // namespace

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString: return "string";
    case ValueType::kInt: return "int";
    case ValueType::kDouble: return "double";
    case ValueType::kBool: return "bool";
    default: return "keyword";
  }
}

std::string ValueToString(const AnyValue& value) {
  switch (value.type) {
    case ValueType::kEmpty: return "";
    case ValueType::kString: return std::string(value.string_value);
    case ValueType::kBool: return value.bool_value ? "true" : "false";
    case ValueType::kInt: return std::to_string(value.int_value);
    case ValueType::kDouble: return fmt::format("{}", value.double_value);
    case ValueType::kBytes: return Base64Encode(value.string_value);  // the Collector's form
    case ValueType::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < value.array_value.size(); ++i) {
        if (i) out += ",";
        AppendJsonish(out, value.array_value[i]);
      }
      return out + "]";
    }
    case ValueType::kKvList: {
      std::string out = "{";
      for (size_t i = 0; i < value.kvlist_value.size(); ++i) {
        if (i) out += ",";
        const KeyValue& kv = value.kvlist_value[i];
        out += '"';
        out += kv.key;
        out += "\":";
        AppendJsonish(out, kv.value);
      }
      return out + "}";
    }
  }
  return "";
}

bool ValuesEqual(const AnyValue& a, const AnyValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::kEmpty: return true;
    case ValueType::kString:
    case ValueType::kBytes: return a.string_value == b.string_value;
    case ValueType::kBool: return a.bool_value == b.bool_value;
    case ValueType::kInt: return a.int_value == b.int_value;
    case ValueType::kDouble: return a.double_value == b.double_value;
    case ValueType::kArray:
      if (a.array_value.size() != b.array_value.size()) return false;
      for (size_t i = 0; i < a.array_value.size(); ++i) {
        if (!ValuesEqual(a.array_value[i], b.array_value[i])) return false;
      }
      return true;
    case ValueType::kKvList:
      if (a.kvlist_value.size() != b.kvlist_value.size()) return false;
      for (size_t i = 0; i < a.kvlist_value.size(); ++i) {
        if (a.kvlist_value[i].key != b.kvlist_value[i].key ||
            !ValuesEqual(a.kvlist_value[i].value, b.kvlist_value[i].value)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

}  // namespace polytrace

#include "query/traceql/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace polytrace::traceql {
namespace {

using analysis::AssembledSpan;

std::string_view ServiceOf(const AssembledSpan& s) {
  const AnyValue* v = FindAttribute(s.resource->resource.attributes, kServiceNameKey);
  return v != nullptr && v->type == ValueType::kString ? v->string_value : std::string_view();
}

// What a field evaluates to on one span.
struct Operand {
  enum class Type { kMissing, kString, kInt, kDouble, kBool, kEnum } type = Type::kMissing;
  std::string_view text;
  int64_t integer = 0;
  double number = 0;
  bool boolean = false;
};

Operand FromValue(const AnyValue* v) {
  Operand o;
  if (v == nullptr) return o;
  switch (v->type) {
    case ValueType::kString:
      o.type = Operand::Type::kString;
      o.text = v->string_value;
      break;
    case ValueType::kInt:
      o.type = Operand::Type::kInt;
      o.integer = v->int_value;
      break;
    case ValueType::kDouble:
      o.type = Operand::Type::kDouble;
      o.number = v->double_value;
      break;
    case ValueType::kBool:
      o.type = Operand::Type::kBool;
      o.boolean = v->bool_value;
      break;
    default: break;  // arrays, maps, bytes: not comparable in this subset
  }
  return o;
}

Operand Resolve(const Field& f, const AssembledSpan& s, const TraceContext& ctx) {
  Operand o;
  auto text = [&](std::string_view t) {
    o.type = Operand::Type::kString;
    o.text = t;
    return o;
  };
  auto integer = [&](Operand::Type type, int64_t v) {
    o.type = type;
    o.integer = v;
    return o;
  };
  const Span& span = *s.span;
  switch (f.kind) {
    case FieldKind::kSpanAttribute: return FromValue(FindAttribute(span.attributes, f.attribute));
    case FieldKind::kResourceAttribute:
      return FromValue(FindAttribute(s.resource->resource.attributes, f.attribute));
    case FieldKind::kAnyAttribute: {
      const AnyValue* v = FindAttribute(span.attributes, f.attribute);
      return FromValue(v != nullptr ? v
                                    : FindAttribute(s.resource->resource.attributes, f.attribute));
    }
    case FieldKind::kName: return text(span.name);
    case FieldKind::kStatus: return integer(Operand::Type::kEnum, int64_t(span.status.code));
    case FieldKind::kKind: return integer(Operand::Type::kEnum, int64_t(span.kind));
    case FieldKind::kDuration:
      return integer(Operand::Type::kInt,
                     span.end_time_unix_nano > span.start_time_unix_nano
                         ? int64_t(span.end_time_unix_nano - span.start_time_unix_nano)
                         : 0);
    case FieldKind::kRootServiceName:
      return ctx.root_service_name.empty() ? o : text(ctx.root_service_name);
    case FieldKind::kRootName:
      return ctx.root_name.empty() && ctx.trace->root < 0 ? o : text(ctx.root_name);
    case FieldKind::kTraceDuration:
      return integer(Operand::Type::kInt, int64_t(ctx.trace->end_nanos - ctx.trace->start_nanos));
    case FieldKind::kLinkTraceId:
    case FieldKind::kLinkSpanId: break;  // many values per span: see MatchesLinks
  }
  return o;
}

template <typename T>
bool Ordered(CompareOp op, const T& a, const T& b) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGe: return a >= b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
    default: return false;
  }
}

bool Compare(const FieldExpr& e, const Operand& o) {
  const Literal& lit = e.literal;
  if (lit.type == LiteralType::kNil) {
    bool present = o.type != Operand::Type::kMissing;
    return e.op == CompareOp::kEq ? !present : e.op == CompareOp::kNe && present;
  }
  switch (o.type) {
    case Operand::Type::kMissing: return false;  // as Tempo: even != needs the attribute
    case Operand::Type::kString:
      if (e.regex) {
        bool m = e.regex->FullMatch(o.text);
        return e.op == CompareOp::kMatch ? m : !m;
      }
      return lit.type == LiteralType::kString && Ordered(e.op, o.text, std::string_view(lit.text));
    case Operand::Type::kBool:
      return lit.type == LiteralType::kBool && (e.op == CompareOp::kEq || e.op == CompareOp::kNe) &&
             Ordered(e.op, o.boolean, lit.boolean);
    case Operand::Type::kEnum: return Ordered(e.op, o.integer, lit.integer);
    case Operand::Type::kInt:
    case Operand::Type::kDouble: {
      double value = o.type == Operand::Type::kInt ? double(o.integer) : o.number;
      if (lit.type == LiteralType::kInt || lit.type == LiteralType::kDuration) {
        if (o.type == Operand::Type::kInt) return Ordered(e.op, o.integer, lit.integer);
        return Ordered(e.op, value, double(lit.integer));
      }
      if (lit.type == LiteralType::kDouble) return Ordered(e.op, value, lit.number);
      return false;
    }
  }
  return false;
}

// link:traceID / link:spanID: true when any link compares true; with no
// link the field is missing (so only `= nil` holds).
bool MatchesLinks(const FieldExpr& e, const Span& span) {
  if (span.links.empty()) return Compare(e, Operand{});
  for (const SpanLink& link : span.links) {
    std::string hex =
        e.field.kind == FieldKind::kLinkTraceId ? link.trace_id.ToHex() : link.span_id.ToHex();
    Operand o;
    o.type = Operand::Type::kString;
    o.text = hex;
    if (Compare(e, o)) return true;
  }
  return false;
}

bool Matches(const FieldExpr& e, const AssembledSpan& s, const TraceContext& ctx) {
  switch (e.type) {
    case FieldExpr::Type::kAnd: return Matches(*e.lhs, s, ctx) && Matches(*e.rhs, s, ctx);
    case FieldExpr::Type::kOr: return Matches(*e.lhs, s, ctx) || Matches(*e.rhs, s, ctx);
    case FieldExpr::Type::kCompare:
      if (e.field.kind == FieldKind::kLinkTraceId || e.field.kind == FieldKind::kLinkSpanId)
        return MatchesLinks(e, *s.span);
      return Compare(e, Resolve(e.field, s, ctx));
  }
  return false;
}

using SpanSet = std::vector<bool>;

bool Any(const SpanSet& s) { return std::find(s.begin(), s.end(), true) != s.end(); }

SpanSet Select(const SpansetExpr& e, const TraceContext& ctx) {
  const auto& spans = ctx.trace->spans;
  SpanSet out(spans.size(), false);
  if (e.type == SpansetExpr::Type::kFilter) {
    for (size_t i = 0; i < spans.size(); ++i)
      out[i] = !e.filter || Matches(*e.filter, spans[i], ctx);
    return out;
  }
  SpanSet lhs = Select(*e.lhs, ctx);
  SpanSet rhs = Select(*e.rhs, ctx);
  switch (e.type) {
    case SpansetExpr::Type::kAnd:
      if (!Any(lhs) || !Any(rhs)) return out;
      [[fallthrough]];
    case SpansetExpr::Type::kOr:
      for (size_t i = 0; i < spans.size(); ++i) out[i] = lhs[i] || rhs[i];
      return out;
    case SpansetExpr::Type::kChild:
      for (size_t i = 0; i < spans.size(); ++i)
        out[i] = rhs[i] && spans[i].parent >= 0 && lhs[spans[i].parent];
      return out;
    case SpansetExpr::Type::kDescendant:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (!rhs[i]) continue;
        // Bounded walk: a cycle of parent IDs (bad data) cannot loop forever.
        int p = spans[i].parent;
        for (size_t steps = 0; p >= 0 && steps < spans.size() && !out[i]; ++steps) {
          out[i] = lhs[p];
          p = spans[p].parent;
        }
      }
      return out;
    default: return out;
  }
}

void CollectRequired(const FieldExpr& e, store::SpanFilter* f) {
  if (e.type == FieldExpr::Type::kAnd) {
    CollectRequired(*e.lhs, f);
    CollectRequired(*e.rhs, f);
    return;
  }
  if (e.type != FieldExpr::Type::kCompare) return;  // || : nothing is required
  const Literal& lit = e.literal;
  if (e.op == CompareOp::kEq && lit.type == LiteralType::kString) {
    bool service_key = e.field.attribute == kServiceNameKey;
    if (service_key && e.field.kind == FieldKind::kResourceAttribute) {
      f->service = lit.text;
    } else if (e.field.kind == FieldKind::kName) {
      f->operation = lit.text;
    } else if (e.field.kind == FieldKind::kSpanAttribute ||
               e.field.kind == FieldKind::kResourceAttribute ||
               e.field.kind == FieldKind::kAnyAttribute) {
      f->tags.emplace_back(e.field.attribute, lit.text);
    }
  }
  // Numbers and bools narrow the search by their string form, the one a
  // tag compares and the attribute index keeps. An int literal also equals
  // a double attribute of the same value (compared as numbers): pushed down
  // only when that double's string form is the int's.
  bool attribute = e.field.kind == FieldKind::kSpanAttribute ||
                   e.field.kind == FieldKind::kResourceAttribute ||
                   e.field.kind == FieldKind::kAnyAttribute;
  if (e.op == CompareOp::kEq && attribute && lit.type == LiteralType::kInt) {
    std::string form = std::to_string(lit.integer);
    if (fmt::format("{}", double(lit.integer)) == form)
      f->tags.emplace_back(e.field.attribute, form);
  }
  if (e.op == CompareOp::kEq && attribute && lit.type == LiteralType::kBool) {
    f->tags.emplace_back(e.field.attribute, lit.boolean ? "true" : "false");
  }
  if (e.op == CompareOp::kEq && e.field.kind == FieldKind::kLinkTraceId &&
      lit.type == LiteralType::kString) {
    f->linked_trace = TraceId::FromHex(lit.text);
  }
  if (e.op == CompareOp::kEq && e.field.kind == FieldKind::kStatus) {
    f->status = static_cast<StatusCodeValue>(lit.integer);
  }
  if (e.op == CompareOp::kEq && e.field.kind == FieldKind::kKind)
    f->kind = static_cast<SpanKind>(lit.integer);
  if (e.field.kind == FieldKind::kDuration && lit.type == LiteralType::kDuration &&
      lit.integer >= 0) {
    if (e.op == CompareOp::kGt || e.op == CompareOp::kGe)
      f->min_duration_nanos = uint64_t(lit.integer);
    if (e.op == CompareOp::kLt || e.op == CompareOp::kLe)
      f->max_duration_nanos = uint64_t(lit.integer);
  }
}

// The leftmost filter of an && / > / >> chain must match some span of any
// matching trace; under || nothing can be promised.
const SpansetExpr* RequiredFilter(const SpansetExpr& e) {
  switch (e.type) {
    case SpansetExpr::Type::kFilter: return &e;
    case SpansetExpr::Type::kOr: return nullptr;
    default: return RequiredFilter(*e.lhs);
  }
}

void CollectAttributes(const FieldExpr& e, std::vector<std::pair<FieldKind, std::string>>* out) {
  if (e.type != FieldExpr::Type::kCompare) {
    CollectAttributes(*e.lhs, out);
    CollectAttributes(*e.rhs, out);
    return;
  }
  FieldKind k = e.field.kind;
  if (k == FieldKind::kSpanAttribute || k == FieldKind::kResourceAttribute ||
      k == FieldKind::kAnyAttribute) {
    std::pair<FieldKind, std::string> entry{k, e.field.attribute};
    if (std::find(out->begin(), out->end(), entry) == out->end()) out->push_back(entry);
  }
}

void CollectAttributes(const SpansetExpr& e, std::vector<std::pair<FieldKind, std::string>>* out) {
  if (e.type == SpansetExpr::Type::kFilter) {
    if (e.filter) CollectAttributes(*e.filter, out);
    return;
  }
  CollectAttributes(*e.lhs, out);
  CollectAttributes(*e.rhs, out);
}

}  // namespace

TraceContext MakeContext(const analysis::AssembledTrace& trace) {
  TraceContext ctx;
  ctx.trace = &trace;
  if (trace.root >= 0) {
    const AssembledSpan& root = trace.spans[trace.root];
    ctx.root_service_name = ServiceOf(root);
    ctx.root_name = root.span->name;
  }
  return ctx;
}

std::vector<int> Evaluate(const SpansetExpr& query, const TraceContext& context) {
  SpanSet selected = Select(query, context);
  std::vector<int> out;
  for (size_t i = 0; i < selected.size(); ++i) {
    if (selected[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

store::SpanFilter RequiredSpanFilter(const SpansetExpr& query) {
  store::SpanFilter filter;
  const SpansetExpr* required = RequiredFilter(query);
  if (required != nullptr && required->filter) CollectRequired(*required->filter, &filter);
  return filter;
}

std::vector<std::pair<FieldKind, std::string>> ReferencedAttributes(const SpansetExpr& query) {
  std::vector<std::pair<FieldKind, std::string>> out;
  CollectAttributes(query, &out);
  return out;
}

}  // namespace polytrace::traceql

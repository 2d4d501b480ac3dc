// The TraceQL subset polytrace understands, as a tree (see parser.h for
// the grammar). A query selects spansets: `{ field-expression }` filters
// spans; `&&`, `||`, `>` (child) and `>>` (descendant) combine spansets;
// hints after it say how to run it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/regex.h"

namespace polytrace::traceql {

enum class FieldKind {
  kSpanAttribute,      // span.x
  kResourceAttribute,  // resource.x
  kAnyAttribute,       // .x: the span's attribute, else the resource's
  kName,
  kStatus,
  kKind,
  kDuration,
  kRootServiceName,
  kRootName,
  kTraceDuration,
  kLinkTraceId,  // link:traceID: any of the span's links (hex, either case)
  kLinkSpanId,   // link:spanID
};

struct Field {
  FieldKind kind = FieldKind::kName;
  std::string attribute;  // for the attribute kinds
};

enum class LiteralType { kString, kInt, kDouble, kBool, kDuration, kStatus, kKind, kNil };

struct Literal {
  LiteralType type = LiteralType::kNil;
  std::string text;      // kString
  int64_t integer = 0;   // kInt, kDuration (nanoseconds), kStatus / kKind (OTLP enum value)
  double number = 0;     // kDouble
  bool boolean = false;  // kBool
};

enum class CompareOp { kEq, kNe, kGt, kGe, kLt, kLe, kMatch, kNotMatch };

// A boolean expression over one span's fields.
struct FieldExpr {
  enum class Type { kCompare, kAnd, kOr } type = Type::kCompare;
  Field field;
  CompareOp op = CompareOp::kEq;
  Literal literal;
  std::optional<Regex> regex;           // kMatch / kNotMatch, compiled once (RE2)
  std::unique_ptr<FieldExpr> lhs, rhs;  // kAnd / kOr
  int depth = 1;                        // levels of the tree from here down
};

// An expression over spansets.
struct SpansetExpr {
  enum class Type { kFilter, kAnd, kOr, kChild, kDescendant } type = Type::kFilter;
  std::unique_ptr<FieldExpr> filter;  // kFilter; null: `{}` selects every span
  std::unique_ptr<SpansetExpr> lhs, rhs;
  int depth = 1;  // levels of the tree from here down (filters count as one)
};

// A hint after the query, Tempo's `with (name = value, ...)`: how to run it,
// not what it selects. Hints no one asks for are kept and ignored, as
// Tempo ignores them.
struct Hint {
  std::string name;
  Literal value;
};

struct Query {
  std::unique_ptr<SpansetExpr> spansets;
  std::vector<Hint> hints;

  // The first hint `name` holding a boolean, as Tempo reads one (another
  // type, or none: nullopt).
  std::optional<bool> BoolHint(std::string_view name) const {
    for (const Hint& h : hints) {
      if (h.name == name && h.value.type == LiteralType::kBool) return h.value.boolean;
    }
    return std::nullopt;
  }
};

}  // namespace polytrace::traceql

#include "query/traceql/semconv_aliases.h"

#include <algorithm>

#include "semconv/semconv_keys.h"

namespace polytrace::traceql {
namespace {

bool IsAttribute(FieldKind kind) {
  return kind == FieldKind::kSpanAttribute || kind == FieldKind::kResourceAttribute ||
         kind == FieldKind::kAnyAttribute;
}

std::unique_ptr<FieldExpr> CopyCompare(const FieldExpr& e, std::string_view key) {
  auto copy = std::make_unique<FieldExpr>();
  copy->type = FieldExpr::Type::kCompare;
  copy->field = {e.field.kind, std::string(key)};
  copy->op = e.op;
  copy->literal = e.literal;
  copy->regex = e.regex;
  return copy;
}

void Rewrite(std::unique_ptr<FieldExpr>& e) {
  if (e == nullptr) return;
  if (e->type != FieldExpr::Type::kCompare) {
    Rewrite(e->lhs);
    Rewrite(e->rhs);
    e->depth = 1 + std::max(e->lhs->depth, e->rhs->depth);
    return;
  }
  if (!IsAttribute(e->field.kind)) return;
  std::vector<std::string_view> others = semconv::EquivalentKeys(e->field.attribute);
  if (others.empty()) return;
  // `= nil` asks that the attribute be absent: absent under every name.
  bool absent = e->op == CompareOp::kEq && e->literal.type == LiteralType::kNil;
  const FieldExpr& original = *e;  // stays in the tree, as its leftmost leaf
  std::unique_ptr<FieldExpr> tree = std::move(e);
  for (std::string_view key : others) {
    auto join = std::make_unique<FieldExpr>();
    join->type = absent ? FieldExpr::Type::kAnd : FieldExpr::Type::kOr;
    join->rhs = CopyCompare(original, key);
    join->lhs = std::move(tree);
    join->depth = 1 + std::max(join->lhs->depth, join->rhs->depth);
    tree = std::move(join);
  }
  e = std::move(tree);
}

void Rewrite(SpansetExpr& s) {
  if (s.type == SpansetExpr::Type::kFilter) {
    Rewrite(s.filter);
    s.depth = 1;  // a filter counts as one level of the spanset tree
    return;
  }
  Rewrite(*s.lhs);
  Rewrite(*s.rhs);
}

}  // namespace

void AliasSemconvGenerations(SpansetExpr& query) { Rewrite(query); }

}  // namespace polytrace::traceql

#include "query/tempo/tag_values_filter.h"

#include <string>
#include <vector>

#include "query/traceql/lexer.h"
#include "query/traceql/parser.h"

namespace polytrace::query {
namespace {

using traceql::Token;
using traceql::TokenType;

bool IsComparison(TokenType t) {
  switch (t) {
    case TokenType::kEq:
    case TokenType::kNe:
    case TokenType::kGt:
    case TokenType::kGe:
    case TokenType::kLt:
    case TokenType::kLe:
    case TokenType::kMatch:
    case TokenType::kNotMatch: return true;
    default: return false;
  }
}

bool IsLiteral(TokenType t) {
  return t == TokenType::kString || t == TokenType::kNumber || t == TokenType::kDuration ||
         t == TokenType::kIdentifier;
}

// Where a condition may start, and what may follow a complete one.
bool OpensCondition(TokenType t) {
  return t == TokenType::kLBrace || t == TokenType::kAnd || t == TokenType::kLParen;
}
bool ClosesCondition(TokenType t) {
  return t == TokenType::kAnd || t == TokenType::kRBrace || t == TokenType::kRParen ||
         t == TokenType::kEnd;
}

}  // namespace

std::unique_ptr<traceql::SpansetExpr> TagValuesFilter(std::string_view q) {
  Result<std::vector<Token>> tokens = traceql::Tokenize(q);
  if (!tokens.ok()) {
    // A string still being typed runs to the end: the query before it.
    size_t quote = q.rfind('"');
    if (quote == std::string_view::npos) return nullptr;
    q = q.substr(0, quote);
    tokens = traceql::Tokenize(q);
    if (!tokens.ok()) return nullptr;
  }
  const std::vector<Token>& t = *tokens;
  if (t.empty() || t[0].type != TokenType::kLBrace) return nullptr;
  std::string conditions;
  for (size_t i = 1; i < t.size() && t[i].type != TokenType::kEnd; ++i) {
    switch (t[i].type) {
      case TokenType::kLBrace:
      case TokenType::kOr:
      case TokenType::kDescendant: return nullptr;  // not one spanset of && conditions
      case TokenType::kRBrace:
        if (t[i + 1].type != TokenType::kEnd) return nullptr;
        continue;
      default: break;
    }
    // `field op literal`, complete, at a condition's start: its text as
    // written (quoting and escapes included), from the field to what follows.
    if (t[i].type == TokenType::kIdentifier && OpensCondition(t[i - 1].type) && i + 3 < t.size() &&
        IsComparison(t[i + 1].type) && IsLiteral(t[i + 2].type) && ClosesCondition(t[i + 3].type)) {
      std::string_view text = q.substr(t[i].column - 1, t[i + 3].column - t[i].column);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) {
        text.remove_suffix(1);
      }
      if (!conditions.empty()) conditions += " && ";
      conditions += text;
      i += 2;
    }
  }
  if (conditions.empty()) return nullptr;
  Result<std::unique_ptr<traceql::SpansetExpr>> parsed = traceql::Parse("{ " + conditions + " }");
  if (!parsed.ok()) return nullptr;  // e.g. an intrinsic the subset lacks: filter nothing
  return std::move(*parsed);
}

}  // namespace polytrace::query

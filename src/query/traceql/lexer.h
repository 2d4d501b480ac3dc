// Tokens of TraceQL, each with the 1-based column where it starts, so
// every parse error can point at its place in the query.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace polytrace::traceql {

enum class TokenType {
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kAnd,
  kOr,  // && ||
  kEq,
  kNe,
  kGt,
  kGe,
  kLt,
  kLe,
  kMatch,
  kNotMatch,    // = != > >= < <= =~ !~
  kDescendant,  // >>
  kComma,       // , (between hints)
  kString,      // "..." (text unescaped)
  kNumber,      // 12, 1.5, -3 (text as written)
  kDuration,    // 100ms, 1.5s (text as written)
  kIdentifier,  // name, status, ok, span.http.method, .foo, resource."a b"
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string text;
  size_t column = 0;  // 1-based
};

Result<std::vector<Token>> Tokenize(std::string_view query);

// How a token reads in an error message ("'}'", "end of query", ...).
std::string Describe(const Token& token);

}  // namespace polytrace::traceql

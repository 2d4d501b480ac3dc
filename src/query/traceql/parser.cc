#include "query/traceql/parser.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <map>

#include "query/traceql/lexer.h"

namespace polytrace::traceql {
namespace {

const std::map<std::string_view, FieldKind>& Intrinsics() {
  static const auto* kMap = new std::map<std::string_view, FieldKind>{
      {"name", FieldKind::kName},
      {"span:name", FieldKind::kName},
      {"status", FieldKind::kStatus},
      {"span:status", FieldKind::kStatus},
      {"kind", FieldKind::kKind},
      {"span:kind", FieldKind::kKind},
      {"duration", FieldKind::kDuration},
      {"span:duration", FieldKind::kDuration},
      {"rootServiceName", FieldKind::kRootServiceName},
      {"trace:rootService", FieldKind::kRootServiceName},
      {"rootName", FieldKind::kRootName},
      {"trace:rootName", FieldKind::kRootName},
      {"traceDuration", FieldKind::kTraceDuration},
      {"trace:duration", FieldKind::kTraceDuration},
      {"link:traceID", FieldKind::kLinkTraceId},
      {"link:spanID", FieldKind::kLinkSpanId},
  };
  return *kMap;
}

// OTLP enum values: Status.code and Span.kind.
const std::map<std::string_view, std::pair<LiteralType, int64_t>>& Keywords() {
  static const auto* kMap = new std::map<std::string_view, std::pair<LiteralType, int64_t>>{
      {"unset", {LiteralType::kStatus, 0}},  {"ok", {LiteralType::kStatus, 1}},
      {"error", {LiteralType::kStatus, 2}},  {"unspecified", {LiteralType::kKind, 0}},
      {"internal", {LiteralType::kKind, 1}}, {"server", {LiteralType::kKind, 2}},
      {"client", {LiteralType::kKind, 3}},   {"producer", {LiteralType::kKind, 4}},
      {"consumer", {LiteralType::kKind, 5}},
  };
  return *kMap;
}

std::optional<int64_t> ParseDurationNanos(const std::string& text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  size_t unit = text.find_first_not_of("-0123456789.");
  if (unit == std::string::npos || unit == 0) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + unit, value);
  if (ec != std::errc() || end != text.data() + unit) return std::nullopt;
  std::string_view suffix = std::string_view(text).substr(unit);
  for (const auto& [name, scale] : kUnits) {
    if (suffix != name) continue;
    double nanos = value * scale;
    // About 292 years either way: past that the duration is not a number of nanoseconds.
    if (!(nanos > -9.2e18 && nanos < 9.2e18)) return std::nullopt;
    return static_cast<int64_t>(nanos);
  }
  return std::nullopt;
}

constexpr int kMaxQueryDepth = 512;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<traceql::Query> Query() {
    if (Peek().type == TokenType::kEnd) return Error(Peek(), "empty query: expected '{'");
    auto expr = OrExpr();
    if (!expr.ok()) return expr.status();
    traceql::Query query;
    query.spansets = std::move(*expr);
    if (Peek().type == TokenType::kIdentifier && Peek().text == "with") {
      Take();
      POLYTRACE_RETURN_IF_ERROR(Hints(&query.hints));
    }
    if (Peek().type != TokenType::kEnd) {
      return Error(Peek(), fmt::format("expected '&&', '||', '>', '>>' or 'with' but found {}",
                                       Describe(Peek())));
    }
    return query;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool Accept(TokenType t) {
    if (Peek().type != t) return false;
    ++pos_;
    return true;
  }
  static Status Error(const Token& at, std::string_view what) {
    return Status::InvalidArgument(fmt::format("traceql: column {}: {}", at.column, what));
  }
  Status Expect(TokenType t, std::string_view what) {
    if (Accept(t)) return Status::Ok();
    return Error(Peek(), fmt::format("expected {} but found {}", what, Describe(Peek())));
  }

  // Parsing recurses once per parenthesis, and evaluating (and freeing) the
  // tree once per level, where a chain `{a} && {b} && {c}` is a level per
  // operator: both are bounded, so no query can exhaust the stack.
  Status TooDeep() const {
    const Token& last = tokens_[pos_ > 0 ? pos_ - 1 : 0];  // the '(' or operand too deep
    return Error(last, fmt::format("query nested deeper than {} levels", kMaxQueryDepth));
  }
  bool Enter() { return ++nesting_ <= kMaxQueryDepth; }
  void Leave() { --nesting_; }

  using SpansetPtr = std::unique_ptr<SpansetExpr>;
  Result<SpansetPtr> Combine(SpansetExpr::Type type, SpansetPtr lhs, SpansetPtr rhs) const {
    auto node = std::make_unique<SpansetExpr>();
    node->type = type;
    node->depth = 1 + std::max(lhs->depth, rhs->depth);
    node->lhs = std::move(lhs);
    node->rhs = std::move(rhs);
    if (node->depth > kMaxQueryDepth) return TooDeep();
    return node;
  }

  Result<SpansetPtr> OrExpr() {
    auto lhs = AndExpr();
    while (lhs.ok() && Accept(TokenType::kOr)) {
      auto rhs = AndExpr();
      if (!rhs.ok()) return rhs;
      lhs = Combine(SpansetExpr::Type::kOr, std::move(*lhs), std::move(*rhs));
    }
    return lhs;
  }

  Result<SpansetPtr> AndExpr() {
    auto lhs = StructExpr();
    while (lhs.ok() && Accept(TokenType::kAnd)) {
      auto rhs = StructExpr();
      if (!rhs.ok()) return rhs;
      lhs = Combine(SpansetExpr::Type::kAnd, std::move(*lhs), std::move(*rhs));
    }
    return lhs;
  }

  Result<SpansetPtr> StructExpr() {
    auto lhs = Spanset();
    while (lhs.ok() && (Peek().type == TokenType::kGt || Peek().type == TokenType::kDescendant)) {
      auto type = Take().type == TokenType::kGt ? SpansetExpr::Type::kChild
                                                : SpansetExpr::Type::kDescendant;
      auto rhs = Spanset();
      if (!rhs.ok()) return rhs;
      lhs = Combine(type, std::move(*lhs), std::move(*rhs));
    }
    return lhs;
  }

  Result<SpansetPtr> Spanset() {
    if (Accept(TokenType::kLParen)) {
      if (!Enter()) return TooDeep();
      auto inner = OrExpr();
      Leave();
      if (!inner.ok()) return inner;
      POLYTRACE_RETURN_IF_ERROR(Expect(TokenType::kRParen, "')'"));
      return inner;
    }
    POLYTRACE_RETURN_IF_ERROR(Expect(TokenType::kLBrace, "'{'"));
    auto node = std::make_unique<SpansetExpr>();
    if (!Accept(TokenType::kRBrace)) {
      auto filter = FieldOr();
      if (!filter.ok()) return filter.status();
      node->filter = std::move(*filter);
      POLYTRACE_RETURN_IF_ERROR(Expect(TokenType::kRBrace, "'}', '&&' or '||'"));
    }
    return node;
  }

  using FieldPtr = std::unique_ptr<FieldExpr>;
  Result<FieldPtr> CombineFields(FieldExpr::Type type, FieldPtr lhs, FieldPtr rhs) const {
    auto node = std::make_unique<FieldExpr>();
    node->type = type;
    node->depth = 1 + std::max(lhs->depth, rhs->depth);
    node->lhs = std::move(lhs);
    node->rhs = std::move(rhs);
    if (node->depth > kMaxQueryDepth) return TooDeep();
    return node;
  }

  Result<FieldPtr> FieldOr() {
    auto lhs = FieldAnd();
    while (lhs.ok() && Accept(TokenType::kOr)) {
      auto rhs = FieldAnd();
      if (!rhs.ok()) return rhs;
      lhs = CombineFields(FieldExpr::Type::kOr, std::move(*lhs), std::move(*rhs));
    }
    return lhs;
  }

  Result<FieldPtr> FieldAnd() {
    auto lhs = FieldTerm();
    while (lhs.ok() && Accept(TokenType::kAnd)) {
      auto rhs = FieldTerm();
      if (!rhs.ok()) return rhs;
      lhs = CombineFields(FieldExpr::Type::kAnd, std::move(*lhs), std::move(*rhs));
    }
    return lhs;
  }

  Result<FieldPtr> FieldTerm() {
    if (Accept(TokenType::kLParen)) {
      if (!Enter()) return TooDeep();
      auto inner = FieldOr();
      Leave();
      if (!inner.ok()) return inner;
      POLYTRACE_RETURN_IF_ERROR(Expect(TokenType::kRParen, "')'"));
      return inner;
    }
    auto node = std::make_unique<FieldExpr>();
    POLYTRACE_RETURN_IF_ERROR(ParseField(&node->field));
    POLYTRACE_RETURN_IF_ERROR(ParseOp(&node->op));
    const Token& literal_token = Peek();
    POLYTRACE_RETURN_IF_ERROR(ParseLiteral(&node->literal));
    return Check(std::move(node), literal_token);
  }

  Status ParseField(Field* field) {
    const Token& t = Peek();
    if (t.type != TokenType::kIdentifier) {
      return Error(t, fmt::format("expected an attribute (span.x, resource.x, .x) or an intrinsic "
                                  "(name, status, kind, duration, ...) but found {}",
                                  Describe(t)));
    }
    ++pos_;
    if (auto it = Intrinsics().find(t.text); it != Intrinsics().end()) {
      field->kind = it->second;
      return Status::Ok();
    }
    for (auto [prefix, kind] : {std::pair{"span.", FieldKind::kSpanAttribute},
                                std::pair{"resource.", FieldKind::kResourceAttribute},
                                std::pair{".", FieldKind::kAnyAttribute}}) {
      std::string_view p = prefix;
      if (t.text.size() > p.size() && t.text.starts_with(p)) {
        field->kind = kind;
        field->attribute = t.text.substr(p.size());
        return Status::Ok();
      }
    }
    return Error(
        t,
        fmt::format("unknown field '{}': attributes need a scope (span., resource. or .)", t.text));
  }

  Status ParseOp(CompareOp* op) {
    static const std::map<TokenType, CompareOp> kOps = {
        {TokenType::kEq, CompareOp::kEq},       {TokenType::kNe, CompareOp::kNe},
        {TokenType::kGt, CompareOp::kGt},       {TokenType::kGe, CompareOp::kGe},
        {TokenType::kLt, CompareOp::kLt},       {TokenType::kLe, CompareOp::kLe},
        {TokenType::kMatch, CompareOp::kMatch}, {TokenType::kNotMatch, CompareOp::kNotMatch}};
    auto it = kOps.find(Peek().type);
    if (it == kOps.end()) {
      return Error(Peek(), fmt::format("expected a comparison (= != > >= < <= =~ !~) but found {}",
                                       Describe(Peek())));
    }
    ++pos_;
    *op = it->second;
    return Status::Ok();
  }

  // '(' name '=' value ( ',' name '=' value )* ')', after `with`.
  Status Hints(std::vector<Hint>* hints) {
    POLYTRACE_RETURN_IF_ERROR(Expect(TokenType::kLParen, "'(' after 'with'"));
    do {
      const Token& name = Take();
      if (name.type != TokenType::kIdentifier) {
        return Error(name, fmt::format("expected a hint's name but found {}", Describe(name)));
      }
      Hint& hint = hints->emplace_back();
      hint.name = name.text;
      POLYTRACE_RETURN_IF_ERROR(Expect(TokenType::kEq, "'=' after the hint's name"));
      POLYTRACE_RETURN_IF_ERROR(ParseLiteral(&hint.value));
    } while (Accept(TokenType::kComma));
    return Expect(TokenType::kRParen, "',' or ')' after a hint");
  }

  Status ParseLiteral(Literal* lit) {
    const Token& t = Take();
    switch (t.type) {
      case TokenType::kString:
        lit->type = LiteralType::kString;
        lit->text = t.text;
        return Status::Ok();
      case TokenType::kNumber: return ParseNumber(t, lit);
      case TokenType::kDuration: {
        std::optional<int64_t> nanos = ParseDurationNanos(t.text);
        if (!nanos)
          return Error(t, fmt::format("'{}' is not a duration (use ns, us, ms, s, m, h)", t.text));
        lit->type = LiteralType::kDuration;
        lit->integer = *nanos;
        return Status::Ok();
      }
      case TokenType::kIdentifier: {
        if (t.text == "true" || t.text == "false") {
          lit->type = LiteralType::kBool;
          lit->boolean = t.text == "true";
          return Status::Ok();
        }
        if (t.text == "nil") {
          lit->type = LiteralType::kNil;
          return Status::Ok();
        }
        if (auto it = Keywords().find(t.text); it != Keywords().end()) {
          lit->type = it->second.first;
          lit->integer = it->second.second;
          return Status::Ok();
        }
        return Error(t, fmt::format("'{}' is not a value: quote strings (\"{}\")", t.text, t.text));
      }
      default: return Error(t, fmt::format("expected a value but found {}", Describe(t)));
    }
  }

  Status ParseNumber(const Token& t, Literal* lit) {
    const char* b = t.text.data();
    const char* e = b + t.text.size();
    if (t.text.find('.') == std::string::npos) {
      auto [end, ec] = std::from_chars(b, e, lit->integer);
      if (ec == std::errc() && end == e) {
        lit->type = LiteralType::kInt;
        return Status::Ok();
      }
    } else {
      auto [end, ec] = std::from_chars(b, e, lit->number);
      if (ec == std::errc() && end == e) {
        lit->type = LiteralType::kDouble;
        return Status::Ok();
      }
    }
    return Error(t, fmt::format("'{}' is not a number", t.text));
  }

  // Rejects comparisons that can never be meaningful, where they are written.
  Result<FieldPtr> Check(FieldPtr node, const Token& at) {
    bool regex = node->op == CompareOp::kMatch || node->op == CompareOp::kNotMatch;
    LiteralType lt = node->literal.type;
    if (regex) {
      if (lt != LiteralType::kString)
        return Error(at, "=~ and !~ need a string (a regular expression)");
      Result<Regex> compiled = Regex::Compile(node->literal.text);
      if (!compiled.ok()) return Error(at, compiled.status().message());
      node->regex = std::move(*compiled);
    }
    FieldKind k = node->field.kind;
    bool ordered = node->op != CompareOp::kEq && node->op != CompareOp::kNe && !regex;
    if ((k == FieldKind::kStatus && lt != LiteralType::kStatus) ||
        (k == FieldKind::kKind && lt != LiteralType::kKind)) {
      return Error(at, k == FieldKind::kStatus ? "status compares with ok, error or unset"
                                               : "kind compares with server, client, producer, "
                                                 "consumer, internal or unspecified");
    }
    if ((k == FieldKind::kStatus || k == FieldKind::kKind) && (ordered || regex)) {
      return Error(at, "status and kind support only = and !=");
    }
    if ((k == FieldKind::kDuration || k == FieldKind::kTraceDuration) &&
        lt != LiteralType::kDuration && lt != LiteralType::kInt && lt != LiteralType::kDouble) {
      return Error(at, "durations compare with a duration such as 100ms");
    }
    if (k == FieldKind::kLinkTraceId || k == FieldKind::kLinkSpanId) {
      if ((lt != LiteralType::kString && lt != LiteralType::kNil) || ordered) {
        return Error(at,
                     "link:traceID and link:spanID compare with a hex string (= != =~ !~) or nil");
      }
      // IDs are hex in either case; the evaluator compares lower case.
      if (!regex) {
        for (char& c : node->literal.text) c = char(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    if ((lt == LiteralType::kStatus || lt == LiteralType::kKind) && k != FieldKind::kStatus &&
        k != FieldKind::kKind) {
      return Error(at, fmt::format("'{}' is a status or kind keyword: quote it to compare a string",
                                   tokens_[pos_ - 1].text));
    }
    return node;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int nesting_ = 0;
};

}  // namespace

Result<Query> ParseQuery(std::string_view query) {
  Result<std::vector<Token>> tokens = Tokenize(query);
  if (!tokens.ok()) return tokens.status();
  return Parser(std::move(*tokens)).Query();
}

Result<std::unique_ptr<SpansetExpr>> Parse(std::string_view query) {
  Result<Query> parsed = ParseQuery(query);
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->spansets);
}

}  // namespace polytrace::traceql

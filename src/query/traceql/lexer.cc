#include "query/traceql/lexer.h"

#include <fmt/format.h>

#include <cctype>

namespace polytrace::traceql {
namespace {

Status ErrorAt(size_t column, std::string_view what) {
  return Status::InvalidArgument(fmt::format("traceql: column {}: {}", column, what));
}

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

class Lexer {
 public:
  explicit Lexer(std::string_view q) : q_(q) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < q_.size() && std::isspace(static_cast<unsigned char>(q_[pos_]))) ++pos_;
      if (pos_ >= q_.size()) break;
      Result<Token> token = Next();
      if (!token.ok()) return token.status();
      tokens.push_back(std::move(*token));
    }
    tokens.push_back({TokenType::kEnd, "", q_.size() + 1});
    return tokens;
  }

 private:
  Result<Token> Next() {
    size_t start = pos_;
    char c = q_[pos_];
    auto two = [&](char second) { return pos_ + 1 < q_.size() && q_[pos_ + 1] == second; };
    auto op = [&](TokenType t, size_t n) {
      pos_ += n;
      return Token{t, std::string(q_.substr(start, n)), start + 1};
    };
    switch (c) {
      case '{': return op(TokenType::kLBrace, 1);
      case '}': return op(TokenType::kRBrace, 1);
      case '(': return op(TokenType::kLParen, 1);
      case ')': return op(TokenType::kRParen, 1);
      case ',': return op(TokenType::kComma, 1);
      case '&':
        if (two('&')) return op(TokenType::kAnd, 2);
        return ErrorAt(start + 1, "expected '&&'");
      case '|':
        if (two('|')) return op(TokenType::kOr, 2);
        return ErrorAt(start + 1, "expected '||' (pipelines are not supported)");
      case '=': return two('~') ? op(TokenType::kMatch, 2) : op(TokenType::kEq, 1);
      case '!':
        if (two('=')) return op(TokenType::kNe, 2);
        if (two('~')) return op(TokenType::kNotMatch, 2);
        return ErrorAt(start + 1, "expected '!=' or '!~'");
      case '>':
        if (two('>')) return op(TokenType::kDescendant, 2);
        return two('=') ? op(TokenType::kGe, 2) : op(TokenType::kGt, 1);
      case '<': return two('=') ? op(TokenType::kLe, 2) : op(TokenType::kLt, 1);
      case '"': return String();
      default: break;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && pos_ + 1 < q_.size() &&
         std::isdigit(static_cast<unsigned char>(q_[pos_ + 1])))) {
      return Number();
    }
    if (IsIdentifierChar(c)) return Identifier();
    return ErrorAt(start + 1, fmt::format("unexpected character '{}'", c));
  }

  Result<Token> String() {
    size_t start = pos_++;
    std::string text;
    while (pos_ < q_.size() && q_[pos_] != '"') {
      char c = q_[pos_++];
      if (c == '\\') {
        if (pos_ >= q_.size()) break;
        char e = q_[pos_++];
        switch (e) {
          case 'n': text += '\n'; break;
          case 't': text += '\t'; break;
          case '"': text += '"'; break;
          case '\\': text += '\\'; break;
          default:
            text += '\\';
            text += e;
            break;  // kept for regexes: "\d"
        }
      } else {
        text += c;
      }
    }
    if (pos_ >= q_.size()) return ErrorAt(start + 1, "unterminated string");
    ++pos_;
    return Token{TokenType::kString, std::move(text), start + 1};
  }

  Result<Token> Number() {
    size_t start = pos_;
    if (q_[pos_] == '-') ++pos_;
    while (pos_ < q_.size() &&
           (std::isdigit(static_cast<unsigned char>(q_[pos_])) || q_[pos_] == '.'))
      ++pos_;
    size_t unit = pos_;
    while (pos_ < q_.size() && (std::isalpha(static_cast<unsigned char>(q_[pos_])) ||
                                static_cast<unsigned char>(q_[pos_]) >= 0x80)) {
      ++pos_;
    }
    std::string text(q_.substr(start, pos_ - start));
    return Token{unit == pos_ ? TokenType::kNumber : TokenType::kDuration, text, start + 1};
  }

  // Attribute names may contain quoted parts: span."foo bar".x
  Result<Token> Identifier() {
    size_t start = pos_;
    std::string text;
    while (pos_ < q_.size()) {
      if (q_[pos_] == '"' && !text.empty() && text.back() == '.') {
        Result<Token> quoted = String();
        if (!quoted.ok()) return quoted.status();
        text += quoted->text;
      } else if (IsIdentifierChar(q_[pos_])) {
        text += q_[pos_++];
      } else {
        break;
      }
    }
    return Token{TokenType::kIdentifier, std::move(text), start + 1};
  }

  std::string_view q_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view query) { return Lexer(query).Run(); }

std::string Describe(const Token& token) {
  if (token.type == TokenType::kEnd) return "end of query";
  if (token.type == TokenType::kString) return fmt::format("string \"{}\"", token.text);
  return fmt::format("'{}'", token.text);
}

}  // namespace polytrace::traceql

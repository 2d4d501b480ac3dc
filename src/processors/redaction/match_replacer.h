// MatchReplacer: a pattern that replaces each of its matches the way Go's
// Regexp.ReplaceAllStringFunc does, which is how the Collector's redaction
// processor masks a card number inside a longer value. Outputs must agree
// byte for byte with the Collector's, empty matches included (`x*` on "ab"
// gives "****a****b****"), because users compare the two collectors' data.
//
// core/Regex only tells where its leftmost match in a whole text is (through
// NamedCaptures' views), so the pattern is compiled twice more: wrapped in a
// named group to find the first match, and behind one byte of context (`\C`)
// to find each later match while `\b`, `\B` and `(?m)^` still see the byte
// before it, as RE2 and Go do when they resume a search mid-text. Immutable
// after Compile; copies share the automata and may be used from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/regex.h"
#include "core/status.h"

namespace polytrace {

class MatchReplacer {
 public:
  // `pattern` must be valid RE2 (Go `regexp`) syntax; errors name it.
  static Result<MatchReplacer> Compile(std::string_view pattern);

  // Whether the pattern matches somewhere in `text` (Go's MatchString).
  bool Search(std::string_view text) const { return pattern_.Search(text); }

  // `text` with every non-overlapping match m replaced by replace(m). An
  // empty match right after a previous match is not replaced, as in Go.
  std::string ReplaceAll(std::string_view text,
                         const std::function<std::string(std::string_view)>& replace) const;

  const std::string& pattern() const { return pattern_.pattern(); }

 private:
  struct Match {
    size_t begin;
    size_t end;
  };
  // The leftmost match starting at or after byte `from` of `text`.
  std::optional<Match> FindFrom(std::string_view text, size_t from) const;

  Regex pattern_;  // as written
  Regex first_;    // (?P<g>pattern): the leftmost match in a whole text
  Regex later_;    // \C(?P<g>pattern): the leftmost match after one byte of context
};

}  // namespace polytrace

// Regex: a compiled regular expression in Go's RE2 syntax, the syntax the
// Collector's configs and Tempo's TraceQL are written in.
//
// Every pattern that runs on span data or on a query goes through this class
// and so through RE2: matching takes time linear in the input and never
// recurses on it, so no value (a 30,000-character URL) and no pattern
// (`(a+)+b`) can exhaust the stack or the CPU. A pattern RE2 cannot compile
// (backreferences, lookaround) is an error at compile time, naming it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace re2 {
class RE2;
}

namespace polytrace {

class Regex {
 public:
  // `pattern` must be valid RE2 (Go `regexp`) syntax.
  static Result<Regex> Compile(std::string_view pattern);

  // Whether the pattern matches somewhere in `text` (Go's MatchString).
  bool Search(std::string_view text) const;
  // Whether the pattern matches all of `text` (as if wrapped in ^(?:...)$).
  bool FullMatch(std::string_view text) const;

  // Every named group `(?P<name>...)` of the leftmost match, as (name, text)
  // in group order; a group that took no part matches "" (as Go's
  // FindStringSubmatch, which the Collector's `extract` uses). Empty when
  // nothing matches.
  std::vector<std::pair<std::string, std::string_view>> NamedCaptures(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::shared_ptr<const re2::RE2> re_;  // shared: copies of a config share one automaton
  std::string pattern_;
};

}  // namespace polytrace

#include "core/regex.h"

#include <fmt/format.h>
#include <re2/re2.h>

namespace polytrace {
namespace {

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

}  // namespace

Result<Regex> Regex::Compile(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, with the pattern
  // RE2's default 8 MiB budget bounds the automaton of a hostile pattern;
  // past it compilation fails with "pattern too large" instead of growing.
  auto re = std::make_shared<const re2::RE2>(Piece(pattern), options);
  if (!re->ok()) {
    return Status::InvalidArgument(
        fmt::format("invalid regular expression \"{}\": {}", pattern, re->error()));
  }
  Regex r;
  r.re_ = std::move(re);
  r.pattern_ = std::string(pattern);
  return r;
}

bool Regex::Search(std::string_view text) const { return RE2::PartialMatch(Piece(text), *re_); }

bool Regex::FullMatch(std::string_view text) const { return RE2::FullMatch(Piece(text), *re_); }

std::vector<std::pair<std::string, std::string_view>> Regex::NamedCaptures(
    std::string_view text) const {
  std::vector<std::pair<std::string, std::string_view>> out;
  const auto& names = re_->CapturingGroupNames();  // group index -> name
  if (names.empty()) return out;
  std::vector<re2::StringPiece> groups(re_->NumberOfCapturingGroups() + 1);
  if (!re_->Match(Piece(text), 0, text.size(), RE2::UNANCHORED, groups.data(),
                  static_cast<int>(groups.size()))) {
    return out;
  }
  for (const auto& [index, name] : names) {
    const re2::StringPiece& g = groups[index];
    out.emplace_back(
        name, g.data() == nullptr ? std::string_view() : std::string_view(g.data(), g.size()));
  }
  return out;
}

}  // namespace polytrace

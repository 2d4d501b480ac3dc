#include "processors/redaction/match_replacer.h"

#include <fmt/format.h>

namespace polytrace {
namespace {

// Named so that no ordinary pattern's own groups collide with it.
constexpr std::string_view kGroup = "polytrace_redaction_match";

// The bytes of the character at `i` as Go's utf8.DecodeRuneInString counts
// them: 0 at the end, 1 for an invalid byte. Go steps over an empty match by
// one character; stepping by one byte would put a mask inside a character.
size_t RuneWidth(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t width = 0;
  unsigned char low = 0x80, high = 0xBF;  // the valid range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    width = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    width = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    width = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 1;
  }
  if (i + width > s.size() || byte(i + 1) < low || byte(i + 1) > high) return 1;
  for (size_t k = 2; k < width; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 1;
  }
  return width;
}

}  // namespace

Result<MatchReplacer> MatchReplacer::Compile(std::string_view pattern) {
  // The pattern must be valid on its own: `a)(b` is not, though the wrapped
  // `(?P<g>a)(b)` would be.
  Result<Regex> plain = Regex::Compile(pattern);
  if (!plain.ok()) return plain.status();
  std::string grouped = fmt::format("(?P<{}>{})", kGroup, pattern);
  Result<Regex> first = Regex::Compile(grouped);
  if (!first.ok()) return first.status();
  Result<Regex> later = Regex::Compile("\\C" + grouped);
  if (!later.ok()) return later.status();
  MatchReplacer out;
  out.pattern_ = std::move(*plain);
  out.first_ = std::move(*first);
  out.later_ = std::move(*later);
  return out;
}

std::optional<MatchReplacer::Match> MatchReplacer::FindFrom(std::string_view text,
                                                            size_t from) const {
  std::string_view window = from == 0 ? text : text.substr(from - 1);
  auto groups = (from == 0 ? first_ : later_).NamedCaptures(window);
  // Group names come in group order, and ours is group 1.
  if (groups.empty() || groups[0].second.data() == nullptr) return std::nullopt;
  size_t begin = static_cast<size_t>(groups[0].second.data() - text.data());
  return Match{begin, begin + groups[0].second.size()};
}

std::string MatchReplacer::ReplaceAll(
    std::string_view text, const std::function<std::string(std::string_view)>& replace) const {
  // A match is located by its view's address, so the text needs one.
  if (text.data() == nullptr) text = std::string_view("", 0);
  std::string out;
  size_t last_end = 0;
  size_t from = 0;
  while (from <= text.size()) {
    std::optional<Match> match = FindFrom(text, from);
    if (!match) break;
    out.append(text.substr(last_end, match->begin - last_end));
    // Go skips an empty match that abuts the previous match; otherwise `a*`
    // would replace "aa" and then the empty string after it.
    if (match->end > last_end || match->begin == 0) {
      out += replace(text.substr(match->begin, match->end - match->begin));
    }
    last_end = match->end;
    size_t width = RuneWidth(text, from);
    if (from + width > match->end) {
      from += width;
    } else if (from + 1 > match->end) {
      ++from;  // at the end of the text, where the width is 0
    } else {
      from = match->end;
    }
  }
  out.append(text.substr(last_end));
  return out;
}

}  // namespace polytrace

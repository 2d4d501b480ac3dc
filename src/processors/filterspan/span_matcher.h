// SpanMatcher: the Collector's include/exclude match properties
// (internal/filter/filterconfig.MatchProperties) for spans, shared by the
// `attributes` processor and the legacy form of the `filter` processor.
//
// A span matches when every property that is set matches: services,
// span_names and span_kinds are any-of lists; attributes, resources and
// libraries must all match. match_type is strict (equality) or regexp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_reader.h"
#include "core/regex.h"
#include "core/traces.h"

namespace polytrace {

class SpanMatcher {
 public:
  // Reads one include/exclude mapping.
  static Result<SpanMatcher> Parse(ConfigReader& reader);

  bool Matches(const ResourceSpans& rs, const ScopeSpans& ss, const Span& span) const;

 private:
  struct Pattern {
    std::string text;
    std::optional<Regex> re;  // set for match_type regexp
    bool Matches(std::string_view s) const;
  };
  struct KeyValuePattern {
    std::string key;
    std::optional<Pattern> value;  // no value: the key must exist
  };
  static bool AttributesMatch(const std::vector<KeyValuePattern>& wanted, const Attributes& at);

  std::vector<Pattern> services_;
  std::vector<Pattern> span_names_;
  std::vector<SpanKind> span_kinds_;
  std::vector<KeyValuePattern> attributes_;
  std::vector<KeyValuePattern> resources_;
  std::vector<std::pair<Pattern, std::optional<Pattern>>> libraries_;
};

// Both lists of a processor: a span is selected when it matches `include`
// (or there is none) and does not match `exclude`.
struct SpanSelection {
  std::optional<SpanMatcher> include;
  std::optional<SpanMatcher> exclude;

  static Result<SpanSelection> Parse(ConfigReader& processor_reader);
  bool Selects(const ResourceSpans& rs, const ScopeSpans& ss, const Span& span) const;
  bool all() const { return !include && !exclude; }
};

std::string_view SpanKindName(SpanKind kind);  // "SPAN_KIND_SERVER", ...

}  // namespace polytrace

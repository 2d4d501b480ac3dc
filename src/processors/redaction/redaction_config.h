// RedactionConfig: what the user writes for the `redaction` processor, with
// the Collector contrib's defaults. Patterns are compiled while the config is
// read, so a bad one stops startup naming its key instead of failing later.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config/component_config.h"
#include "core/regex.h"
#include "processors/redaction/masker.h"
#include "processors/redaction/match_replacer.h"

namespace polytrace {

// Which `redaction.*` attributes describe what the processor changed. Listing
// the removed keys can itself leak (a key named after a customer), hence the
// levels. The Collector's default (an empty string) writes nothing: kSilent.
enum class RedactionSummary { kSilent, kInfo, kDebug };

class RedactionConfig : public ComponentConfig {
 public:
  // false fails closed: with no `allowed_keys` every attribute is removed.
  bool allow_all_keys = false;
  std::set<std::string, std::less<>> allowed_keys;
  std::set<std::string, std::less<>> ignored_keys;  // passed through untouched
  std::vector<Regex> ignored_key_patterns;          // likewise, for keys matching
  std::vector<Regex> blocked_key_patterns;          // values of matching keys masked whole
  std::vector<MatchReplacer> blocked_values;        // matches inside values masked
  std::vector<Regex> allowed_values;                // matching values never masked
  // Match non-string values in their string form (e.g. an int card number);
  // otherwise they are matched as "".
  bool redact_all_types = false;
  Masker masker;  // `hash_function` and `hmac_key`
  RedactionSummary summary = RedactionSummary::kSilent;

  Status Unmarshal(ConfigReader& reader) override;
};

}  // namespace polytrace

#include "processors/redaction/redaction_config.h"

#include <fmt/format.h>

#include <utility>

namespace polytrace {
namespace {

Status ReadKeySet(ConfigReader& r, const std::string& key,
                  std::set<std::string, std::less<>>* out) {
  std::vector<std::string> keys;
  POLYTRACE_RETURN_IF_ERROR(r.Read(key, &keys));
  out->insert(keys.begin(), keys.end());
  return Status::Ok();
}

// Compiles each pattern of the list at `key` (as Regex or MatchReplacer).
template <typename Compiled>
Status ReadPatterns(ConfigReader& r, const std::string& key, std::vector<Compiled>* out) {
  std::vector<std::string> patterns;
  POLYTRACE_RETURN_IF_ERROR(r.Read(key, &patterns));
  for (const std::string& pattern : patterns) {
    Result<Compiled> compiled = Compiled::Compile(pattern);
    if (!compiled.ok()) return r.KeyError(key, compiled.status().message());
    out->push_back(std::move(*compiled));
  }
  return Status::Ok();
}

Status ReadSummary(ConfigReader& r, RedactionSummary* out) {
  std::string level;
  POLYTRACE_RETURN_IF_ERROR(r.Read("summary", &level));
  // The Collector treats any other value as silent; refusing it catches a
  // typo that would otherwise quietly drop the summary.
  if (level.empty() || level == "silent") {
    *out = RedactionSummary::kSilent;
  } else if (level == "info") {
    *out = RedactionSummary::kInfo;
  } else if (level == "debug") {
    *out = RedactionSummary::kDebug;
  } else {
    return r.KeyError("summary", fmt::format("unknown level \"{}\" (debug, info, silent)", level));
  }
  return Status::Ok();
}

Status ReadMasker(ConfigReader& r, Masker* out) {
  std::string name;
  std::string hmac_key;
  POLYTRACE_RETURN_IF_ERROR(r.Read("hash_function", &name));
  POLYTRACE_RETURN_IF_ERROR(r.Read("hmac_key", &hmac_key));
  Result<HashFunction> function = ParseHashFunction(name);
  if (!function.ok()) return r.KeyError("hash_function", function.status().message());
  // Without a key an HMAC is an unkeyed hash, which is what it was chosen to avoid.
  if (IsHmac(*function) && hmac_key.empty()) {
    return r.KeyError("hmac_key", fmt::format("must be set when hash_function is {}", name));
  }
  *out = Masker(*function, std::move(hmac_key));
  return Status::Ok();
}

}  // namespace

Status RedactionConfig::Unmarshal(ConfigReader& r) {
  for (const char* unsupported : {"url_sanitizer", "db_sanitizer"}) {
    if (r.Has(unsupported)) {
      return r.KeyError(unsupported,
                        "is not supported by polytrace's redaction processor (the Collector's URL "
                        "and database sanitizers are not implemented); remove it");
    }
  }
  POLYTRACE_RETURN_IF_ERROR(r.Read("allow_all_keys", &allow_all_keys));
  POLYTRACE_RETURN_IF_ERROR(ReadKeySet(r, "allowed_keys", &allowed_keys));
  POLYTRACE_RETURN_IF_ERROR(ReadKeySet(r, "ignored_keys", &ignored_keys));
  POLYTRACE_RETURN_IF_ERROR(ReadPatterns(r, "ignored_key_patterns", &ignored_key_patterns));
  POLYTRACE_RETURN_IF_ERROR(ReadPatterns(r, "blocked_key_patterns", &blocked_key_patterns));
  POLYTRACE_RETURN_IF_ERROR(ReadPatterns(r, "blocked_values", &blocked_values));
  POLYTRACE_RETURN_IF_ERROR(ReadPatterns(r, "allowed_values", &allowed_values));
  POLYTRACE_RETURN_IF_ERROR(r.Read("redact_all_types", &redact_all_types));
  POLYTRACE_RETURN_IF_ERROR(ReadMasker(r, &masker));
  POLYTRACE_RETURN_IF_ERROR(ReadSummary(r, &summary));
  return r.Finish();
}

}  // namespace polytrace

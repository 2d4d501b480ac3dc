// Attribute actions shared by the `resource` and `attributes` processors
// (the Collector's coreinternal/attraction): insert, update, upsert, delete,
// hash, extract and convert, applied in the order configured.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "config/config_reader.h"
#include "core/traces.h"

namespace polytrace {

// A regular expression in Go's RE2 syntax as the Collector's configs use it;
// named groups `(?P<name>...)` are supported for `extract`.
class NamedRegex {
 public:
  static Result<NamedRegex> Compile(const std::string& pattern);
  const std::regex& regex() const { return *regex_; }
  // Group names by capture index (index 0 unused; "" for unnamed groups).
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::shared_ptr<std::regex> regex_;
  std::vector<std::string> names_;
};

enum class ActionType { kInsert, kUpdate, kUpsert, kDelete, kHash, kExtract, kConvert };

struct AttributeAction {
  ActionType type;
  std::string key;
  std::optional<AnyValue> value;  // points into AttributeActions' arena
  std::string from_attribute;
  std::optional<NamedRegex> pattern;
  std::string converted_type;  // int | double | string
};

class AttributeActions {
 public:
  // Parses a list of action mappings (the `actions:` or `attributes:` list).
  static Result<AttributeActions> Parse(std::vector<ConfigReader>& readers);

  // Applies every action in order. New strings go to `arena`.
  void Apply(Arena& arena, Attributes& attributes) const;
  bool empty() const { return actions_.empty(); }

 private:
  std::shared_ptr<Arena> values_arena_;  // config values live here
  std::vector<AttributeAction> actions_;
};

// Sets or replaces `key` (helpers for processors and tests).
void UpsertAttribute(Arena& arena, Attributes& attributes, std::string_view key, AnyValue value);
// A YAML scalar as the Collector types it: plain numbers and booleans are
// typed, quoted scalars are strings.
AnyValue ValueFromYaml(Arena& arena, const YAML::Node& node);

}  // namespace polytrace

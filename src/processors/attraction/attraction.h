// Attribute actions shared by the `resource` and `attributes` processors
// (the Collector's coreinternal/attraction): insert, update, upsert, delete,
// hash, extract and convert, applied in the order configured.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config_reader.h"
#include "core/regex.h"
#include "core/traces.h"

namespace polytrace {

enum class ActionType { kInsert, kUpdate, kUpsert, kDelete, kHash, kExtract, kConvert };

struct AttributeAction {
  ActionType type;
  std::string key;
  std::optional<AnyValue> value;  // points into AttributeActions' arena
  std::string from_attribute;
  std::optional<Regex> pattern;  // RE2; named groups `(?P<name>...)` for extract
  std::string converted_type;    // int | double | string
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

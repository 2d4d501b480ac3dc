#include "processors/redaction/redaction_processor.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "processors/attraction/attraction.h"

namespace polytrace {
namespace {

// The Collector's summary attributes. The body ones are written only for
// logs, but every one is allowed through, so that data passing a second
// redaction processor keeps the first one's summary (and adds to it).
constexpr std::string_view kRedactedKeys = "redaction.redacted.keys";
constexpr std::string_view kRedactedCount = "redaction.redacted.count";
constexpr std::string_view kMaskedKeys = "redaction.masked.keys";
constexpr std::string_view kMaskedCount = "redaction.masked.count";
constexpr std::string_view kAllowedKeys = "redaction.allowed.keys";
constexpr std::string_view kAllowedCount = "redaction.allowed.count";
constexpr std::string_view kIgnoredCount = "redaction.ignored.count";
constexpr std::array<std::string_view, 14> kSummaryKeys = {
    kRedactedKeys,
    kRedactedCount,
    kMaskedKeys,
    kMaskedCount,
    kAllowedKeys,
    kAllowedCount,
    kIgnoredCount,
    "redaction.body.redacted.keys",
    "redaction.body.redacted.count",
    "redaction.body.masked.keys",
    "redaction.body.masked.count",
    "redaction.body.allowed.keys",
    "redaction.body.allowed.count",
    "redaction.body.ignored.count",
};

template <typename Pattern>
bool AnySearch(const std::vector<Pattern>& patterns, std::string_view text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const Pattern& p) { return p.Search(text); });
}

MatchReplacer WholeValue() {
  Result<MatchReplacer> compiled = MatchReplacer::Compile(".*");
  return std::move(*compiled);  // a constant pattern: always valid
}

}  // namespace

RedactionProcessor::RedactionProcessor(RedactionConfig config, TracesConsumer* next)
    : config_(std::move(config)), whole_value_(WholeValue()), next_(next) {}

Status RedactionProcessor::ConsumeTraces(Traces traces) {
  Arena& arena = traces.arena();
  for (ResourceSpans& rs : traces.resource_spans()) {
    Redact(arena, rs.resource.attributes);
    for (ScopeSpans& ss : rs.scope_spans) {
      Redact(arena, ss.scope.attributes);
      for (Span& span : ss.spans) {
        Redact(arena, span.attributes);
        for (SpanEvent& event : span.events) Redact(arena, event.attributes);
      }
    }
  }
  return next_->ConsumeTraces(std::move(traces));
}

bool RedactionProcessor::IsIgnored(std::string_view key) const {
  return config_.ignored_keys.contains(key) || AnySearch(config_.ignored_key_patterns, key);
}

bool RedactionProcessor::IsAllowedKey(std::string_view key) const {
  return config_.allow_all_keys || config_.allowed_keys.contains(key) ||
         std::find(kSummaryKeys.begin(), kSummaryKeys.end(), key) != kSummaryKeys.end();
}

void RedactionProcessor::Redact(Arena& arena, Attributes& attributes) const {
  Outcome outcome;
  std::vector<bool> remove(attributes.size(), false);
  // One pass decides every attribute, in the Collector's order: ignored,
  // not allowed (removed, so never worth masking), then value rules.
  for (size_t i = 0; i < attributes.size(); ++i) {
    KeyValue& attribute = attributes[i];
    if (IsIgnored(attribute.key)) {
      ++outcome.ignored;
    } else if (!IsAllowedKey(attribute.key)) {
      outcome.redacted.push_back(attribute.key);
      remove[i] = true;
    } else {
      MaskValue(arena, attribute, outcome);
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (!remove[i]) attributes[kept++] = attributes[i];
  }
  attributes.Truncate(kept);
  AddSummary(arena, attributes, outcome);
}

void RedactionProcessor::MaskValue(Arena& arena, KeyValue& attribute, Outcome& outcome) const {
  // The Collector reads a non-string value as "" unless redact_all_types.
  std::string converted;
  std::string_view text;
  if (attribute.value.type == ValueType::kString) {
    text = attribute.value.string_value;
  } else if (config_.redact_all_types) {
    converted = ValueToString(attribute.value);
    text = converted;
  }
  if (AnySearch(config_.allowed_values, text)) {
    outcome.allowed.push_back(attribute.key);
    return;
  }
  auto mask = [this](std::string_view match) { return config_.masker.Mask(match); };
  std::optional<std::string> masked;  // copied only once a pattern matches
  if (AnySearch(config_.blocked_key_patterns, attribute.key)) {
    masked = whole_value_.ReplaceAll(text, mask);
  } else {
    // Each pattern masks what the previous ones left.
    for (const MatchReplacer& blocked : config_.blocked_values) {
      std::string_view current = masked ? std::string_view(*masked) : text;
      if (blocked.Search(current)) masked = blocked.ReplaceAll(current, mask);
    }
    if (!masked || *masked == text) return;
  }
  outcome.masked.push_back(attribute.key);
  attribute.value = AnyValue::String(arena.Copy(*masked));  // a masked int becomes a string
}

void RedactionProcessor::AddSummary(Arena& arena, Attributes& attributes,
                                    const Outcome& outcome) const {
  if (config_.summary == RedactionSummary::kSilent) return;
  AddSummaryEntry(arena, attributes, outcome.redacted, kRedactedKeys, kRedactedCount);
  AddSummaryEntry(arena, attributes, outcome.masked, kMaskedKeys, kMaskedCount);
  AddSummaryEntry(arena, attributes, outcome.allowed, kAllowedKeys, kAllowedCount);
  // Ignored keys are configured, so they are only counted, never listed.
  AddSummaryCount(arena, attributes, outcome.ignored, kIgnoredCount);
}

// Keys are merged with the list an earlier redaction processor wrote, then
// sorted, as the Collector does.
void RedactionProcessor::AddSummaryEntry(Arena& arena, Attributes& attributes,
                                         const std::vector<std::string_view>& keys,
                                         std::string_view keys_key,
                                         std::string_view count_key) const {
  if (keys.empty()) return;
  if (config_.summary == RedactionSummary::kDebug) {
    std::vector<std::string> all(keys.begin(), keys.end());
    const AnyValue* earlier = FindAttribute(attributes, keys_key);
    if (earlier != nullptr && earlier->type == ValueType::kString &&
        !earlier->string_value.empty()) {
      std::string_view rest = earlier->string_value;
      size_t comma = rest.find(',');
      while (comma != std::string_view::npos) {
        all.emplace_back(rest.substr(0, comma));
        rest.remove_prefix(comma + 1);
        comma = rest.find(',');
      }
      all.emplace_back(rest);
    }
    std::sort(all.begin(), all.end());
    std::string joined;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) joined += ',';
      joined += all[i];
    }
    UpsertAttribute(arena, attributes, keys_key, AnyValue::String(arena.Copy(joined)));
  }
  AddSummaryCount(arena, attributes, keys.size(), count_key);
}

// Counts are added to an earlier redaction processor's.
void RedactionProcessor::AddSummaryCount(Arena& arena, Attributes& attributes, size_t count,
                                         std::string_view count_key) const {
  if (count == 0) return;
  auto total = static_cast<int64_t>(count);
  const AnyValue* earlier = FindAttribute(attributes, count_key);
  if (earlier != nullptr && earlier->type == ValueType::kInt) total += earlier->int_value;
  UpsertAttribute(arena, attributes, count_key, AnyValue::Int(total));
}

namespace {

class RedactionProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "redaction"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<RedactionConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings&, const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(
        std::make_unique<RedactionProcessor>(static_cast<const RedactionConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewRedactionProcessorFactory() {
  return std::make_unique<RedactionProcessorFactory>();
}

}  // namespace polytrace

// The `redaction` processor (the Collector contrib's redactionprocessor, for
// traces): removes attributes whose keys are not allowed, masks values that
// match blocked patterns, and may record what it did in `redaction.*`
// attributes. It redacts resource, scope, span and span-event attributes;
// links, names and status messages pass unchanged, as in the Collector.
//
// Stateless after construction: ConsumeTraces may run on many threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "processors/redaction/redaction_config.h"

namespace polytrace {

class RedactionProcessor : public Processor {
 public:
  RedactionProcessor(RedactionConfig config, TracesConsumer* next);
  bool MutatesData() const override { return true; }
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return next_->AcknowledgesDurably(); }
  bool QueuesWithoutWaiting() const override { return next_->QueuesWithoutWaiting(); }

 private:
  // What one attribute map's redaction did, for the summary.
  struct Outcome {
    std::vector<std::string_view> redacted;  // removed
    std::vector<std::string_view> masked;
    std::vector<std::string_view> allowed;  // kept whole by allowed_values
    size_t ignored = 0;
  };

  // Redacts one attribute map in place, new strings in `arena`, then adds the
  // summary to it.
  void Redact(Arena& arena, Attributes& attributes) const;
  // Masks one kept attribute's value if a value or key rule says so.
  void MaskValue(Arena& arena, KeyValue& attribute, Outcome& outcome) const;
  bool IsIgnored(std::string_view key) const;
  bool IsAllowedKey(std::string_view key) const;
  void AddSummary(Arena& arena, Attributes& attributes, const Outcome& outcome) const;
  void AddSummaryEntry(Arena& arena, Attributes& attributes,
                       const std::vector<std::string_view>& keys, std::string_view keys_key,
                       std::string_view count_key) const;
  void AddSummaryCount(Arena& arena, Attributes& attributes, size_t count,
                       std::string_view count_key) const;

  RedactionConfig config_;
  // `.*`, which masks a blocked key's value: the Collector masks that way, so
  // a value with line breaks becomes one mask per line ("****\n****").
  MatchReplacer whole_value_;
  TracesConsumer* next_;
};

std::unique_ptr<ProcessorFactory> NewRedactionProcessorFactory();

}  // namespace polytrace

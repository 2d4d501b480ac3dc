#include "processors/semconv/semconv_processor.h"

#include <fmt/format.h>

#include <vector>

#include "semconv/convert.h"

namespace polytrace {

Status SemconvConfig::Unmarshal(ConfigReader& r) {
  for (semconv::Domain d : semconv::kDomains) {
    std::string key(semconv::DomainName(d));
    if (!r.Has(key)) continue;
    std::string mode;
    POLYTRACE_RETURN_IF_ERROR(r.Read(key, &mode));
    if (mode == "stable") {
      modes[size_t(d)] = SemconvMode::kStable;
    } else if (mode == "dup") {
      modes[size_t(d)] = SemconvMode::kDup;
    } else if (mode == "none") {
      modes[size_t(d)] = SemconvMode::kNone;
    } else {
      return r.KeyError(key, fmt::format("unknown mode \"{}\" (stable, dup, none)", mode));
    }
  }
  return Status::Ok();
}

SemconvProcessor::SemconvProcessor(SemconvConfig config, TracesConsumer* next)
    : config_(config), next_(next) {}

Status SemconvProcessor::ConsumeTraces(Traces traces) {
  Arena& arena = traces.arena();
  for (ResourceSpans& rs : traces.resource_spans()) {
    for (ScopeSpans& ss : rs.scope_spans) {
      for (Span& span : ss.spans) Rewrite(arena, span);
    }
  }
  return next_->ConsumeTraces(std::move(traces));
}

void SemconvProcessor::Rewrite(Arena& arena, Span& span) const {
  std::optional<semconv::Domain> domain = semconv::DomainOf(span.attributes);
  if (!domain) return;
  SemconvMode mode = config_.ModeOf(*domain);
  if (mode == SemconvMode::kNone) return;
  semconv::Side side = semconv::SideOf(span.kind);
  Attributes& attributes = span.attributes;
  // Every span passes here, most with no old key: nothing is allocated
  // until one is found.
  size_t first = 0;
  while (first < attributes.size() &&
         semconv::FindOldKey(attributes[first].key, *domain, side) == nullptr) {
    ++first;
  }
  if (first == attributes.size()) return;
  std::vector<KeyValue> added;
  std::vector<bool> converted(attributes.size(), false);
  for (size_t i = first; i < attributes.size(); ++i) {
    const semconv::Rename* r = semconv::FindOldKey(attributes[i].key, *domain, side);
    if (r == nullptr) continue;
    std::vector<KeyValue> stable = semconv::ConvertAttribute(*r, attributes[i].value, arena);
    if (stable.empty()) continue;
    converted[i] = true;
    for (KeyValue& kv : stable) {
      // The span's own stable key (an SDK in dup mode) wins, and of two old
      // keys for one stable key (net.peer.ip, net.sock.peer.addr) the first.
      bool present = FindAttribute(attributes, kv.key) != nullptr;
      for (const KeyValue& a : added) present |= a.key == kv.key;
      if (!present) added.push_back(kv);
    }
  }
  if (added.empty() && mode == SemconvMode::kDup) return;
  if (mode == SemconvMode::kStable) {
    size_t kept = 0;
    for (size_t i = 0; i < attributes.size(); ++i) {
      if (!converted[i]) attributes[kept++] = attributes[i];
    }
    attributes.Truncate(kept);
  }
  for (const KeyValue& kv : added) attributes.Append(arena, kv);
}

namespace {

class SemconvProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "semconv"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<SemconvConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings&, const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(
        std::make_unique<SemconvProcessor>(static_cast<const SemconvConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewSemconvProcessorFactory() {
  return std::make_unique<SemconvProcessorFactory>();
}

}  // namespace polytrace

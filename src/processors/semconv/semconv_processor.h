// The `semconv` processor: repairs the seed's "different SDK versions"
// pitfall in the pipeline. It rewrites span attributes written under the old
// semantic conventions (http.method, http.status_code, db.statement,
// messaging.destination, rpc.grpc.status_code, net.peer.name, ...) to the
// stable keys (http.request.method, http.response.status_code,
// db.query.text, ...), per domain, so that one search or dashboard finds
// every service's spans whatever its instrumentation's age:
//
//   processors:
//     semconv:
//       http: stable        # old keys become stable ones (the default)
//       db: dup             # add the stable keys, keep the old (as the SDKs' database/dup)
//       messaging: stable
//       rpc: none           # leave RPC spans as they are
//
// The modes mirror the SDKs' OTEL_SEMCONV_STABILITY_OPT_IN (http, http/dup).
// A span belongs to the domain its attributes name (semconv::DomainOf); a
// stable key the span already has is never overwritten; a value that
// cannot be converted (wrong type) leaves its old key as it is. The key
// table is semconv/semconv_keys.h.
//
// Stateless after construction: ConsumeTraces may run on many threads.
#pragma once

#include <array>

#include "config/component_config.h"
#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "semconv/semconv_keys.h"

namespace polytrace {

enum class SemconvMode { kNone, kStable, kDup };

class SemconvConfig : public ComponentConfig {
 public:
  // Indexed by semconv::Domain (http, db, messaging, rpc).
  std::array<SemconvMode, 4> modes = {SemconvMode::kStable, SemconvMode::kStable,
                                      SemconvMode::kStable, SemconvMode::kStable};
  SemconvMode ModeOf(semconv::Domain d) const { return modes[size_t(d)]; }
  Status Unmarshal(ConfigReader& reader) override;
};

class SemconvProcessor : public Processor {
 public:
  SemconvProcessor(SemconvConfig config, TracesConsumer* next);
  bool MutatesData() const override { return true; }
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return next_->AcknowledgesDurably(); }
  bool QueuesWithoutWaiting() const override { return next_->QueuesWithoutWaiting(); }

  // Rewrites one span's attributes in place, new strings in `arena`.
  void Rewrite(Arena& arena, Span& span) const;

 private:
  SemconvConfig config_;
  TracesConsumer* next_;
};

std::unique_ptr<ProcessorFactory> NewSemconvProcessorFactory();

}  // namespace polytrace

// The `nop` exporter: accepts and discards everything, as the Collector's
// nopexporter. Useful as a sink in benchmarks and for pipelines under test.
#pragma once

#include "pipeline/component.h"
#include "pipeline/factory.h"

namespace polytrace {

class NopExporter : public Exporter {
 public:
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Status ConsumeTraces(Traces) override { return Status::Ok(); }
  bool NeedsSpans() const override { return false; }
  bool QueuesWithoutWaiting() const override { return true; }
};

std::unique_ptr<ExporterFactory> NewNopExporterFactory();

}  // namespace polytrace

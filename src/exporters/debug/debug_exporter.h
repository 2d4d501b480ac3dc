// The `debug` exporter: writes what passes through to the log, at the
// Collector's verbosity levels — basic (a line per batch), normal (a line
// per span), detailed (every field) — with its sampling of batches.
#pragma once

#include <atomic>

#include "pipeline/component.h"
#include "pipeline/factory.h"

namespace polytrace {

class DebugConfig : public ComponentConfig {
 public:
  std::string verbosity = "basic";
  uint32_t sampling_initial = 2;
  uint32_t sampling_thereafter = 1;
  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

class DebugExporter : public Exporter {
 public:
  DebugExporter(Settings settings, DebugConfig config)
      : settings_(std::move(settings)), config_(std::move(config)) {}
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Status ConsumeTraces(Traces traces) override;

  // The text `detailed` verbosity prints for a batch (exposed for tests).
  static std::string Detailed(const Traces& traces);

 private:
  Settings settings_;
  DebugConfig config_;
  std::atomic<uint64_t> batches_{0};
};

std::unique_ptr<ExporterFactory> NewDebugExporterFactory();

}  // namespace polytrace

// The `polytrace_store` exporter: writes spans into the embedded store.
// ConsumeTraces returns (and so the receiver answers its client 200/OK)
// only once the batch is in the write-ahead log under the configured fsync
// policy; a store that cannot write refuses with a retryable error, so the
// client retries instead of losing data. The store is readable by the
// `polytrace_query` extension through StoreProvider.
#pragma once

#include <atomic>
#include <memory>

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "store/engine/store.h"
#include "store/engine/store_provider.h"

namespace polytrace {

class Counter;

class PolytraceStoreConfig : public ComponentConfig {
 public:
  store::StoreOptions options;
  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

class PolytraceStoreExporter : public Exporter, public store::StoreProvider {
 public:
  PolytraceStoreExporter(Settings settings, PolytraceStoreConfig config)
      : settings_(std::move(settings)), config_(std::move(config)) {}
  ~PolytraceStoreExporter() override { Shutdown(); }

  Status Start(Host& host) override;
  void Shutdown() override;
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return true; }
  store::Store* store() override { return store_ready_.load() ? store_.get() : nullptr; }

 private:
  Settings settings_;
  PolytraceStoreConfig config_;
  std::unique_ptr<store::Store> store_;
  std::atomic<bool> store_ready_{false};
  Counter* accepted_ = nullptr;
  Counter* failed_ = nullptr;
};

std::unique_ptr<ExporterFactory> NewPolytraceStoreExporterFactory();

}  // namespace polytrace

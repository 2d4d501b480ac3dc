// Service: the running pipeline graph built from a CollectorConfig.
//
// One instance per receiver id and per exporter id (shared by every pipeline
// that names it); processors are instantiated per pipeline, as in the
// Collector. A receiver used by several pipelines feeds them through a
// FanOut; a pipeline with several exporters ends in one.
// Start: extensions, exporters, processors (last to first), receivers.
// Shutdown: the reverse, so upstream stops before downstream flushes.
// Threading: Start and Shutdown are called from one control thread.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "pipeline/component.h"
#include "pipeline/fanout.h"
#include "pipeline/registry.h"
#include "service/collector_config.h"
#include "telemetry/metrics.h"

namespace polytrace {

class Service : public Host {
 public:
  static Result<std::unique_ptr<Service>> Create(CollectorConfig config,
                                                 const ComponentRegistry& registry,
                                                 MetricsRegistry* metrics);
  ~Service() override;

  Status Start();
  void Shutdown();

  MetricsRegistry& metrics() override { return *metrics_; }
  Extension* GetExtension(const ComponentId& id) override;
  Exporter* GetExporter(const ComponentId& id) override;
  AdmissionGate* admission() override { return &admission_; }

 private:
  Service(CollectorConfig config, MetricsRegistry* metrics);
  Status Build(const ComponentRegistry& registry);
  Settings MakeSettings(ComponentKind kind, const ComponentId& id, const std::string& pipeline);

  CollectorConfig config_;
  MetricsRegistry* metrics_;
  AdmissionGate admission_;
  std::map<ComponentId, ExtensionPtr> extensions_;
  std::map<ComponentId, ExporterPtr> exporters_;
  // Per pipeline, first to last.
  std::vector<std::vector<ProcessorPtr>> processors_;
  std::vector<std::unique_ptr<FanOut>> fanouts_;
  std::map<ComponentId, ReceiverPtr> receivers_;
  bool shut_down_ = false;
};

}  // namespace polytrace

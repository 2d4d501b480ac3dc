// TestHost: a Host for component tests, with its own metrics registry and
// extensions registered by the test.
#pragma once

#include <map>

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "telemetry/metrics.h"

namespace polytrace::testing {

class TestHost : public Host {
 public:
  MetricsRegistry& metrics() override { return metrics_; }
  Extension* GetExtension(const ComponentId& id) override {
    auto it = extensions_.find(id.ToString());
    return it == extensions_.end() ? nullptr : it->second;
  }
  void AddExtension(const std::string& id, Extension* e) { extensions_[id] = e; }
  AdmissionGate* admission() override { return &admission_; }
  // The value of a counter or gauge line as rendered for Prometheus, or -1.
  double MetricValue(const std::string& line_prefix) const;

 private:
  MetricsRegistry metrics_;
  AdmissionGate admission_;
  std::map<std::string, Extension*> extensions_;
};

}  // namespace polytrace::testing

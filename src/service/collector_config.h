// CollectorConfig: a whole Collector YAML file, parsed and validated.
//
// LoadCollectorConfig expands ${env:...} references, parses the YAML, looks
// every component up in the registry by type, unmarshals and validates its
// config, and checks the service section (pipelines reference configured
// components, traces pipelines only). The first error stops loading and
// names the file, key path and line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/component_config.h"
#include "config/env_substitution.h"
#include "pipeline/factory.h"
#include "pipeline/registry.h"
#include "tls/tls_config.h"

namespace polytrace {

struct PipelineConfig {
  std::string name;  // "traces", "traces/internal"
  std::vector<ComponentId> receivers;
  std::vector<ComponentId> processors;
  std::vector<ComponentId> exporters;
};

struct TelemetryConfig {
  std::string log_level = "info";
  // Self-metrics, /healthz and /readyz. Empty disables (level: none).
  std::string metrics_address = "localhost:8888";
  // service.telemetry.metrics.tls (polytrace's; the Collector's pull
  // exporter has none): the self-metrics endpoint over HTTPS.
  std::optional<TlsServerConfig> metrics_tls;
};

struct CollectorConfig {
  std::map<ComponentId, ComponentConfigPtr> receivers;
  std::map<ComponentId, ComponentConfigPtr> processors;
  std::map<ComponentId, ComponentConfigPtr> exporters;
  std::map<ComponentId, ComponentConfigPtr> extensions;
  std::vector<ComponentId> service_extensions;
  std::vector<PipelineConfig> pipelines;
  TelemetryConfig telemetry;
};

// `file` names the source in error messages.
Result<CollectorConfig> ParseCollectorConfig(const std::string& yaml_text, const std::string& file,
                                             const ComponentRegistry& registry,
                                             const EnvLookup& env = ProcessEnv);
Result<CollectorConfig> LoadCollectorConfigFile(const std::string& path,
                                                const ComponentRegistry& registry,
                                                const EnvLookup& env = ProcessEnv);

// The configuration used when polytrace runs without --config.
const char* DefaultConfigYaml();

}  // namespace polytrace

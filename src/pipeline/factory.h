// Factories: a component is a type name, a config struct with defaults and
// validation, and a factory that builds it. The core never names a concrete
// component; builtin_components.cc registers them all in one table.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "config/component_config.h"
#include "pipeline/component.h"

namespace polytrace {

class MetricsRegistry;

enum class ComponentKind { kReceiver, kProcessor, kExporter, kExtension };
const char* ComponentKindName(ComponentKind kind);  // "receiver", ...

// "otlp/internal": the type ("otlp") and the instance name ("internal").
struct ComponentId {
  std::string type;
  std::string name;

  static ComponentId Parse(const std::string& text);
  std::string ToString() const { return name.empty() ? type : type + "/" + name; }
  friend auto operator<=>(const ComponentId&, const ComponentId&) = default;
};

// What the code injects into a component (as opposed to Config, which is
// what the user writes).
struct Settings {
  ComponentId id;
  std::shared_ptr<spdlog::logger> logger;
  MetricsRegistry* metrics = nullptr;
  std::string pipeline;  // the pipeline a processor instance belongs to
};

class Factory {
 public:
  virtual ~Factory() = default;
  virtual std::string type() const = 0;
  virtual ComponentConfigPtr CreateDefaultConfig() const = 0;
};

class ReceiverFactory : public Factory {
 public:
  virtual Result<ReceiverPtr> CreateTracesReceiver(const Settings& settings,
                                                   const ComponentConfig& config,
                                                   TracesConsumer* next) const = 0;
};

class ProcessorFactory : public Factory {
 public:
  virtual Result<ProcessorPtr> CreateTracesProcessor(const Settings& settings,
                                                     const ComponentConfig& config,
                                                     TracesConsumer* next) const = 0;
};

class ExporterFactory : public Factory {
 public:
  virtual Result<ExporterPtr> CreateTracesExporter(const Settings& settings,
                                                   const ComponentConfig& config) const = 0;
};

class ExtensionFactory : public Factory {
 public:
  virtual Result<ExtensionPtr> CreateExtension(const Settings& settings,
                                               const ComponentConfig& config) const = 0;
};

}  // namespace polytrace

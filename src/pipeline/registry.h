// ComponentRegistry: the table of factories, by kind and type name.
// Filled once at startup by RegisterBuiltinComponents (components/).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/factory.h"

namespace polytrace {

class ComponentRegistry {
 public:
  void Add(std::unique_ptr<ReceiverFactory> f);
  void Add(std::unique_ptr<ProcessorFactory> f);
  void Add(std::unique_ptr<ExporterFactory> f);
  void Add(std::unique_ptr<ExtensionFactory> f);

  // nullptr when no factory has that type.
  const ReceiverFactory* receiver(const std::string& type) const;
  const ProcessorFactory* processor(const std::string& type) const;
  const ExporterFactory* exporter(const std::string& type) const;
  const ExtensionFactory* extension(const std::string& type) const;
  const Factory* Find(ComponentKind kind, const std::string& type) const;
  std::vector<std::string> Types(ComponentKind kind) const;

 private:
  std::map<std::string, std::unique_ptr<ReceiverFactory>> receivers_;
  std::map<std::string, std::unique_ptr<ProcessorFactory>> processors_;
  std::map<std::string, std::unique_ptr<ExporterFactory>> exporters_;
  std::map<std::string, std::unique_ptr<ExtensionFactory>> extensions_;
};

}  // namespace polytrace

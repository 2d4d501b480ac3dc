#include "exporters/nop/nop_exporter.h"

namespace polytrace {
namespace {

class NopConfig : public ComponentConfig {
 public:
  Status Unmarshal(ConfigReader& reader) override { return reader.Finish(); }
};

class NopExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "nop"; }
  ComponentConfigPtr CreateDefaultConfig() const override { return std::make_unique<NopConfig>(); }
  Result<ExporterPtr> CreateTracesExporter(const Settings&, const ComponentConfig&) const override {
    return ExporterPtr(std::make_unique<NopExporter>());
  }
};

}  // namespace

std::unique_ptr<ExporterFactory> NewNopExporterFactory() {
  return std::make_unique<NopExporterFactory>();
}

}  // namespace polytrace

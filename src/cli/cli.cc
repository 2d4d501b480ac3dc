#include "cli/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/run.h"
#include "components/builtin_components.h"
#include "service/collector_config.h"

namespace polytrace {
namespace {

constexpr const char* kVersion = "0.1.0";

Result<CollectorConfig> LoadConfig(const std::string& path, const ComponentRegistry& registry) {
  if (path.empty()) return ParseCollectorConfig(DefaultConfigYaml(), "<default config>", registry);
  return LoadCollectorConfigFile(path, registry);
}

int Validate(const std::string& path, const ComponentRegistry& registry) {
  Result<CollectorConfig> config = LoadConfig(path, registry);
  if (!config.ok()) {
    std::cerr << "polytrace: invalid configuration: " << config.status().message() << "\n";
    return 1;
  }
  std::cout << fmt::format("{}: valid ({} pipeline{})\n", path.empty() ? "default config" : path,
                           config->pipelines.size(), config->pipelines.size() == 1 ? "" : "s");
  return 0;
}

void PrintComponents(const ComponentRegistry& registry) {
  for (ComponentKind kind : {ComponentKind::kReceiver, ComponentKind::kProcessor,
                             ComponentKind::kExporter, ComponentKind::kExtension}) {
    std::cout << ComponentKindName(kind) << "s:\n";
    for (const std::string& type : registry.Types(kind)) std::cout << "  - " << type << "\n";
  }
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{
      "polytrace: an OpenTelemetry Collector and trace backend in one binary.\n"
      "Without a subcommand it runs the pipelines of --config (or the default config)."};
  app.set_version_flag("--version", fmt::format("polytrace version {}", kVersion));
  std::string config_path;
  app.add_option("--config", config_path, "Collector YAML configuration file")
      ->check(CLI::ExistingFile);

  CLI::App* validate = app.add_subcommand("validate", "Check a configuration without starting");
  validate->add_option("--config", config_path, "Collector YAML configuration file")
      ->check(CLI::ExistingFile);
  CLI::App* components = app.add_subcommand("components", "List the available components");
  CLI::App* print_default =
      app.add_subcommand("print-default-config", "Print the configuration used without --config");
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);

  ComponentRegistry registry;
  RegisterBuiltinComponents(registry);
  if (*validate) return Validate(config_path, registry);
  if (*components) {
    PrintComponents(registry);
    return 0;
  }
  if (*print_default) {
    std::cout << DefaultConfigYaml();
    return 0;
  }

  Result<CollectorConfig> config = LoadConfig(config_path, registry);
  if (!config.ok()) {
    std::cerr << "polytrace: invalid configuration: " << config.status().message() << "\n";
    return 1;
  }
  return RunCollector(std::move(*config), registry, kVersion);
}

}  // namespace polytrace

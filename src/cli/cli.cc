#include "cli/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/run.h"
#include "cli/store_command.h"
#include "cli/traces_command.h"
#include "cli/verify_command.h"
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

  CLI::App* traces =
      app.add_subcommand("traces", "Read traces from a running polytrace's query API");
  traces->require_subcommand(1);
  TracesGetOptions get;
  CLI::App* traces_get = traces->add_subcommand("get", "Show one trace (a span tree, or JSON)");
  traces_get->add_option("trace_id", get.trace_id, "Trace ID (hex)")->required();
  traces_get->add_option("--endpoint", get.endpoint, "Query API base URL")->capture_default_str();
  traces_get->add_option("--format", get.format, "JSON flavour: jaeger or otlp-json (implies JSON)")
      ->check(CLI::IsMember({"jaeger", "otlp-json"}));
  traces_get->add_flag("--json", get.json, "Print JSON (Jaeger's, unless --format says otherwise)");
  TracesSearchOptions search;
  CLI::App* traces_search =
      traces->add_subcommand("search", "Find traces (Jaeger parameters or TraceQL)");
  traces_search->add_option("--endpoint", search.endpoint, "Query API base URL")
      ->capture_default_str();
  traces_search->add_option("--service", search.service, "Service name");
  traces_search->add_option("--operation", search.operation, "Span name");
  traces_search->add_option("--tag", search.tags, "key=value (repeatable)");
  traces_search->add_option("--min-duration", search.min_duration, "e.g. 100ms");
  traces_search->add_option("--max-duration", search.max_duration, "e.g. 2s");
  traces_search->add_option("--since", search.since, "How far back to look")->capture_default_str();
  traces_search->add_option("--limit", search.limit, "Most traces to return")
      ->capture_default_str();
  traces_search->add_option("--traceql", search.traceql,
                            "A TraceQL query instead of the options above");
  traces_search->add_flag("--json", search.json, "Print the API's JSON");

  CLI::App* store = app.add_subcommand("store", "Inspect a store directory (read-only)");
  store->require_subcommand(1);
  std::string store_dir;
  bool store_json = false;
  CLI::App* store_stats = store->add_subcommand("stats", "Spans, traces, segments, bytes per span");
  CLI::App* store_check = store->add_subcommand("check", "Verify every checksum; exit 1 on damage");
  int zstd_level = 6;
  CLI::App* store_compact =
      store->add_subcommand("compact", "Merge every window now (the final merge; store stopped)");
  store_compact->add_option("--zstd-level", zstd_level, "zstd level of the merge (1-19)")
      ->capture_default_str();
  for (CLI::App* sub : {store_stats, store_check, store_compact}) {
    sub->add_option("directory", store_dir, "The store's directory")->required();
    sub->add_flag("--json", store_json, "Print JSON");
  }

  VerifyOptions verify;
  CLI::App* verify_cmd = app.add_subcommand(
      "verify",
      "Check traces against expectations (services, languages, propagation, orphans, "
      "service.name, clock skew, span attributes); exit 1 when one fails");
  verify_cmd->add_option("--trace", verify.trace_ids, "Trace ID to verify (repeatable)");
  verify_cmd->add_option("--since", verify.since, "Verify the recent traces of this window (5m)");
  verify_cmd->add_option("--root-service", verify.root_service,
                         "With --since: only traces whose root span is in this service");
  verify_cmd->add_option("--limit", verify.limit, "With --since: most traces to verify")
      ->capture_default_str();
  verify_cmd->add_option("--expect", verify.expect_file, "YAML file of expectations")
      ->check(CLI::ExistingFile);
  verify_cmd->add_option("--service", verify.services, "A service that must be present");
  verify_cmd->add_option("--language", verify.languages,
                         "A telemetry.sdk.language that must be present (go, nodejs, ...)");
  verify_cmd->add_option("--span", verify.spans, "A span that must exist: NAME or SERVICE/NAME");
  verify_cmd->add_option("--attr", verify.attributes,
                         "SPAN:KEY=VALUE or SPAN:KEY=~REGEX on every such span");
  verify_cmd->add_option("--min-spans", verify.min_spans, "Fewest spans in the trace");
  verify_cmd->add_option("--max-spans", verify.max_spans, "Most spans in the trace");
  verify_cmd->add_option("--max-duration", verify.max_duration, "Longest trace duration (2s)");
  verify_cmd->add_option("--skew-tolerance", verify.skew_tolerance,
                         "How far a child may sit outside its parent's window (default 50ms)");
  verify_cmd->add_option("--allow", verify.allow,
                         "Skip a structural check: orphans, missing-service-name, invalid-hops, "
                         "broken-propagation, clock-skew, sdk-mix, missing-service-version");
  verify_cmd->add_flag("--strict", verify.strict,
                       "Warnings (a service without service.version) fail the trace too");
  verify_cmd
      ->add_option("--wait", verify.wait,
                   "Retry failing or missing traces this long (spans arrive late)")
      ->capture_default_str();
  verify_cmd->add_option("--endpoint", verify.endpoint, "Query API base URL")
      ->capture_default_str();
  verify_cmd->add_flag("--json", verify.json, "Print JSON");

  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  if (*traces_get) return RunTracesGet(get);
  if (*traces_search) return RunTracesSearch(search);
  if (*verify_cmd) return RunVerify(verify);
  if (*store_stats) return RunStoreStats(store_dir, store_json);
  if (*store_check) return RunStoreCheck(store_dir, store_json);
  if (*store_compact) return RunStoreCompact(store_dir, zstd_level, store_json);

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

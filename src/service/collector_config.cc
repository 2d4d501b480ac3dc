#include "service/collector_config.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include <fstream>
#include <set>
#include <sstream>

namespace polytrace {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// Reads one of the top-level component sections (receivers, processors, ...).
Status ReadComponents(ConfigReader& root, const std::string& section, ComponentKind kind,
                      const ComponentRegistry& registry,
                      std::map<ComponentId, ComponentConfigPtr>* out) {
  Result<ConfigReader> components = root.Child(section);
  if (!components.ok()) return components.status();
  for (const std::string& key : components->Keys()) {
    ComponentId id = ComponentId::Parse(key);
    const Factory* factory = registry.Find(kind, id.type);
    if (factory == nullptr) {
      return components->KeyError(
          key, fmt::format("unknown {} type \"{}\" (known types: {})", ComponentKindName(kind),
                           id.type, Join(registry.Types(kind))));
    }
    if (key.find('/') != std::string::npos && id.name.empty()) {
      return components->KeyError(key, "the name after \"/\" must not be empty");
    }
    Result<ConfigReader> body = components->Child(key);
    if (!body.ok()) return body.status();
    ComponentConfigPtr config = factory->CreateDefaultConfig();
    POLYTRACE_RETURN_IF_ERROR(config->Unmarshal(*body));
    Status valid = config->Validate();
    if (!valid.ok()) return body->Error(valid.message());
    (*out)[id] = std::move(config);
  }
  return Status::Ok();
}

Status ReadIdList(ConfigReader& pipeline, const std::string& key, ComponentKind kind,
                  const std::map<ComponentId, ComponentConfigPtr>& defined,
                  std::vector<ComponentId>* out) {
  std::vector<std::string> names;
  POLYTRACE_RETURN_IF_ERROR(pipeline.Read(key, &names));
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      return pipeline.KeyError(
          key, fmt::format("{} \"{}\" is listed twice", ComponentKindName(kind), name));
    }
    ComponentId id = ComponentId::Parse(name);
    if (defined.count(id) == 0) {
      return pipeline.KeyError(key, fmt::format("references {} \"{}\" which is not configured",
                                                ComponentKindName(kind), name));
    }
    out->push_back(id);
  }
  return Status::Ok();
}

Status ReadPipelines(ConfigReader& service, CollectorConfig* config) {
  Result<ConfigReader> pipelines = service.Child("pipelines");
  if (!pipelines.ok()) return pipelines.status();
  if (pipelines->Keys().empty()) return pipelines->Error("at least one pipeline is required");
  for (const std::string& key : pipelines->Keys()) {
    ComponentId id = ComponentId::Parse(key);
    if (id.type != "traces") {
      return pipelines->KeyError(
          key, fmt::format("polytrace handles traces only; \"{}\" pipelines are not supported",
                           id.type));
    }
    Result<ConfigReader> body = pipelines->Child(key);
    if (!body.ok()) return body.status();
    PipelineConfig p;
    p.name = key;
    POLYTRACE_RETURN_IF_ERROR(
        ReadIdList(*body, "receivers", ComponentKind::kReceiver, config->receivers, &p.receivers));
    POLYTRACE_RETURN_IF_ERROR(ReadIdList(*body, "processors", ComponentKind::kProcessor,
                                         config->processors, &p.processors));
    POLYTRACE_RETURN_IF_ERROR(
        ReadIdList(*body, "exporters", ComponentKind::kExporter, config->exporters, &p.exporters));
    POLYTRACE_RETURN_IF_ERROR(body->Finish());
    if (p.receivers.empty()) return body->Error("must have at least one receiver");
    if (p.exporters.empty()) return body->Error("must have at least one exporter");
    config->pipelines.push_back(std::move(p));
  }
  return pipelines->Finish();
}

// The newer Collector form of the self-metrics endpoint:
//   readers: [{pull: {exporter: {prometheus: {host: 0.0.0.0, port: 8888}}}}]
Status ReadMetricReaders(ConfigReader& metrics, std::string* address) {
  Result<std::vector<ConfigReader>> readers = metrics.ChildList("readers");
  if (!readers.ok()) return readers.status();
  for (ConfigReader& reader : *readers) {
    Result<ConfigReader> pull = reader.Child("pull");
    if (!pull.ok()) return pull.status();
    Result<ConfigReader> exporter = pull->Child("exporter");
    if (!exporter.ok()) return exporter.status();
    bool has_prometheus = false;
    Result<ConfigReader> prom = exporter->Child("prometheus", &has_prometheus);
    if (!prom.ok()) return prom.status();
    if (!has_prometheus)
      return reader.Error("only pull readers with a prometheus exporter are supported");
    std::string host = "localhost";
    int port = 8888;
    POLYTRACE_RETURN_IF_ERROR(prom->Read("host", &host));
    POLYTRACE_RETURN_IF_ERROR(prom->Read("port", &port));
    prom->Raw("without_scope_info");
    prom->Raw("without_type_suffix");
    prom->Raw("without_units");
    prom->Raw("with_resource_constant_labels");
    POLYTRACE_RETURN_IF_ERROR(prom->Finish());
    POLYTRACE_RETURN_IF_ERROR(exporter->Finish());
    POLYTRACE_RETURN_IF_ERROR(pull->Finish());
    POLYTRACE_RETURN_IF_ERROR(reader.Finish());
    *address = fmt::format("{}:{}", host, port);
  }
  return Status::Ok();
}

Status ReadTelemetry(ConfigReader& service, TelemetryConfig* telemetry) {
  Result<ConfigReader> t = service.Child("telemetry");
  if (!t.ok()) return t.status();
  Result<ConfigReader> logs = t->Child("logs");
  if (!logs.ok()) return logs.status();
  POLYTRACE_RETURN_IF_ERROR(logs->Read("level", &telemetry->log_level));
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error"};
  if (kLevels.count(telemetry->log_level) == 0) {
    return logs->KeyError("level", fmt::format("unknown level \"{}\" (debug, info, warn, error)",
                                               telemetry->log_level));
  }
  // Accepted for compatibility; polytrace always logs to stderr as text.
  std::string ignored;
  POLYTRACE_RETURN_IF_ERROR(logs->Read("encoding", &ignored));
  POLYTRACE_RETURN_IF_ERROR(logs->Finish());

  Result<ConfigReader> metrics = t->Child("metrics");
  if (!metrics.ok()) return metrics.status();
  POLYTRACE_RETURN_IF_ERROR(metrics->Read("address", &telemetry->metrics_address));
  POLYTRACE_RETURN_IF_ERROR(ReadMetricReaders(*metrics, &telemetry->metrics_address));
  Result<std::optional<TlsServerConfig>> tls = ReadTlsServerConfig(*metrics);
  if (!tls.ok()) return tls.status();
  telemetry->metrics_tls = std::move(tls.value());
  std::string level = "normal";
  POLYTRACE_RETURN_IF_ERROR(metrics->Read("level", &level));
  if (level == "none") telemetry->metrics_address.clear();
  POLYTRACE_RETURN_IF_ERROR(metrics->Finish());
  return t->Finish();
}

}  // namespace

Result<CollectorConfig> ParseCollectorConfig(const std::string& yaml_text, const std::string& file,
                                             const ComponentRegistry& registry,
                                             const EnvLookup& env) {
  Result<std::string> expanded = ExpandEnvReferences(yaml_text, env);
  if (!expanded.ok()) return expanded.status().WithContext(file);
  YAML::Node root_node;
  try {
    root_node = YAML::Load(*expanded);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp bounds its recursive parser (its message says "bad file").
    return Status::InvalidArgument(fmt::format("{}:{}:{}: invalid YAML: nested too deeply", file,
                                               e.mark.line + 1, e.mark.column + 1));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: invalid YAML: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root_node.IsMap()) {
    return Status::InvalidArgument(fmt::format("{}: the config must be a YAML mapping", file));
  }
  ConfigReader root(root_node, "", file);
  CollectorConfig config;
  POLYTRACE_RETURN_IF_ERROR(
      ReadComponents(root, "receivers", ComponentKind::kReceiver, registry, &config.receivers));
  POLYTRACE_RETURN_IF_ERROR(
      ReadComponents(root, "processors", ComponentKind::kProcessor, registry, &config.processors));
  POLYTRACE_RETURN_IF_ERROR(
      ReadComponents(root, "exporters", ComponentKind::kExporter, registry, &config.exporters));
  POLYTRACE_RETURN_IF_ERROR(
      ReadComponents(root, "extensions", ComponentKind::kExtension, registry, &config.extensions));
  Result<ConfigReader> connectors = root.Child("connectors");
  if (!connectors.ok()) return connectors.status();
  if (!connectors->Keys().empty()) {
    return connectors->KeyError(connectors->Keys()[0], "connectors are not supported yet");
  }

  bool has_service = false;
  Result<ConfigReader> service = root.Child("service", &has_service);
  if (!service.ok()) return service.status();
  if (!has_service) return root.Error("the \"service\" section is required");
  std::vector<std::string> ext_names;
  POLYTRACE_RETURN_IF_ERROR(service->Read("extensions", &ext_names));
  for (const std::string& name : ext_names) {
    ComponentId id = ComponentId::Parse(name);
    if (config.extensions.count(id) == 0) {
      return service->KeyError(
          "extensions", fmt::format("references extension \"{}\" which is not configured", name));
    }
    config.service_extensions.push_back(id);
  }
  POLYTRACE_RETURN_IF_ERROR(ReadPipelines(*service, &config));
  POLYTRACE_RETURN_IF_ERROR(ReadTelemetry(*service, &config.telemetry));
  POLYTRACE_RETURN_IF_ERROR(service->Finish());
  POLYTRACE_RETURN_IF_ERROR(root.Finish());
  return config;
}

Result<CollectorConfig> LoadCollectorConfigFile(const std::string& path,
                                                const ComponentRegistry& registry,
                                                const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(fmt::format("cannot read config file \"{}\"", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseCollectorConfig(text.str(), path, registry, env);
}

const char* DefaultConfigYaml() {
  return R"(# polytrace's default configuration (used when --config is not given).
# Every port listens on localhost only, as the Collector's defaults since
# v0.104: to accept other machines, set e.g. endpoint: 0.0.0.0:4317.
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: localhost:4317
      http:
        endpoint: localhost:4318

processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 25
  batch: {}

exporters:
  polytrace_store:
    directory: ./data

extensions:
  polytrace_query:
    endpoint: localhost:16686

service:
  extensions: [polytrace_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [polytrace_store]
  telemetry:
    metrics:
      address: localhost:8888
)";
}

}  // namespace polytrace

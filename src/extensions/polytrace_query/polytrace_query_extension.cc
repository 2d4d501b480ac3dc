#include "extensions/polytrace_query/polytrace_query_extension.h"

#include <fmt/format.h>

#include "net/http_auth.h"
#include "pipeline/auth.h"
#include "store/engine/store_provider.h"
#include "tls/tls_context.h"

namespace polytrace {

Status PolytraceQueryConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("endpoint", &endpoint));
  POLYTRACE_RETURN_IF_ERROR(r.Read("store", &store));
  POLYTRACE_RETURN_IF_ERROR(r.Read("ui_directory", &ui_directory));
  POLYTRACE_RETURN_IF_ERROR(r.Read("allowed_hosts", &allowed_hosts));
  POLYTRACE_RETURN_IF_ERROR(r.Read("semconv_aliases", &semconv_aliases));
  Result<std::optional<TlsServerConfig>> tls_config = ReadTlsServerConfig(r);
  if (!tls_config.ok()) return tls_config.status();
  tls = std::move(tls_config.value());
  POLYTRACE_RETURN_IF_ERROR(ReadAuthConfig(r, &authenticator));
  return r.Finish();
}

Status PolytraceQueryConfig::Validate() const {
  std::string host;
  uint16_t port;
  if (!SplitHostPort(endpoint, &host, &port)) {
    return Status::InvalidArgument(fmt::format("\"endpoint\" \"{}\" is not host:port", endpoint));
  }
  if (store.empty())
    return Status::InvalidArgument("\"store\" must name a polytrace_store exporter");
  return Status::Ok();
}

const store::Store* PolytraceQueryExtension::ResolveStore() {
  Exporter* exporter = host_->GetExporter(ComponentId::Parse(config_.store));
  auto* provider = dynamic_cast<store::StoreProvider*>(exporter);
  return provider == nullptr ? nullptr : provider->store();
}

Status PolytraceQueryExtension::Start(Host& host) {
  host_ = &host;
  std::string ui_root = query::StaticFiles::FindRoot(
      config_.ui_directory.empty() ? query::StaticFiles::DefaultCandidates()
                                   : std::vector<std::string>{config_.ui_directory});
  if (ui_root.empty() && !config_.ui_directory.empty()) {
    return Status::InvalidArgument(fmt::format(
        "polytrace_query: ui_directory \"{}\" has no index.html", config_.ui_directory));
  }
  std::optional<query::StaticFiles> ui;
  if (!ui_root.empty()) ui.emplace(ui_root);
  query::QueryOptions service_options{.semconv_aliases = config_.semconv_aliases};
  service_ = std::make_unique<query::QueryService>([this] { return ResolveStore(); }, std::move(ui),
                                                   service_options);
  HttpServerOptions options;
  options.endpoint = config_.endpoint;
  options.name = "query";
  // Handlers run on the loop; a standby thread takes the loop over while a
  // slow search holds it (net/loop_standby.h), and the next standby while
  // that one is held: the UI's health page asks four analyses at once, and
  // big analyses wait for each other (query/analysis_api.cc). Searches and
  // analyses run or wait for their turn on at most heavy_running +
  // heavy_waiting of the threads (query/heavy_turns.h): one more is always
  // left for the quick answers.
  options.standby_thread = true;
  options.standbys = service_options.heavy_running + service_options.heavy_waiting;
  options.max_request_body_size = 1 << 20;
  options.allowed_hosts = config_.allowed_hosts;
  options.log_error = [logger = settings_.logger](const std::string& m) { logger->error(m); };
  if (config_.tls) {
    Result<std::shared_ptr<TlsContextSource>> tls =
        TlsContextSource::ForServer(*config_.tls, options.log_error);
    if (!tls.ok()) return tls.status().WithContext("polytrace_query: tls");
    options.tls_context = [source = tls.value()] { return source->Current(); };
  }
  if (!config_.authenticator.empty()) {
    Result<ServerAuthenticator*> auth = ResolveServerAuthenticator(host, config_.authenticator);
    if (!auth.ok()) return auth.status().WithContext("polytrace_query: auth");
    options.authorize =
        HttpAuthorizer(auth.value(), "polytrace_query",
                       [logger = settings_.logger](const std::string& m) { logger->warn(m); });
  }
  server_ = std::make_unique<HttpServer>(
      options, [this](HttpRequest& request) { return service_->Handle(request); });
  if (Status st = server_->Start(); !st.ok()) return st;
  settings_.logger->info("query API (Jaeger, Tempo) listening on {} (port {}{}); web UI: {}",
                         config_.endpoint, server_->port(), config_.tls ? ", TLS" : "",
                         ui_root.empty() ? "not built (npm --prefix ui run build)" : ui_root);
  return Status::Ok();
}

void PolytraceQueryExtension::Shutdown() {
  if (server_) server_->Shutdown();
}

namespace {

class PolytraceQueryExtensionFactory : public ExtensionFactory {
 public:
  std::string type() const override { return "polytrace_query"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<PolytraceQueryConfig>();
  }
  Result<ExtensionPtr> CreateExtension(const Settings& settings,
                                       const ComponentConfig& config) const override {
    return ExtensionPtr(std::make_unique<PolytraceQueryExtension>(
        settings, static_cast<const PolytraceQueryConfig&>(config)));
  }
};

}  // namespace

std::unique_ptr<ExtensionFactory> NewPolytraceQueryExtensionFactory() {
  return std::make_unique<PolytraceQueryExtensionFactory>();
}

}  // namespace polytrace

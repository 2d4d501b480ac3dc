// The `polytrace_query` extension: the query server on :16686 (Jaeger and
// Tempo APIs, the web UI) over the store of a `polytrace_store`
// exporter. Like Jaeger v2's jaeger_query extension, it names the storage
// it serves; the exporter starts after extensions, so the store is resolved
// per request and the API answers 503 until it is open. `tls` and
// `auth: { authenticator }` protect the UI and the APIs as on the Collector's
// HTTP servers; Grafana's Jaeger and Tempo data sources send basic auth or
// a bearer token.
#pragma once

#include <memory>

#include "net/http_server.h"
#include "pipeline/factory.h"
#include "query/query_service.h"
#include "tls/tls_config.h"

namespace polytrace {

class PolytraceQueryConfig : public ComponentConfig {
 public:
  std::string endpoint = "localhost:16686";
  std::string store = "polytrace_store";  // the exporter whose store is served
  // The web UI's built assets; empty: found beside the binary or in its source tree.
  std::string ui_directory;
  // Host names the UI and APIs answer to besides IP addresses and localhost
  // (a DNS-rebinding guard; see net/http_server.h). "*" accepts any.
  std::vector<std::string> allowed_hosts;
  std::optional<TlsServerConfig> tls;  // set: HTTPS only
  std::string authenticator;           // auth.authenticator: protects the UI and every API
  // Searches match a key under either semantic-conventions generation
  // (http.response.status_code also finds http.status_code); false: exact keys.
  bool semconv_aliases = true;
  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

class PolytraceQueryExtension : public Extension {
 public:
  PolytraceQueryExtension(Settings settings, PolytraceQueryConfig config)
      : settings_(std::move(settings)), config_(std::move(config)) {}
  ~PolytraceQueryExtension() override { Shutdown(); }
  Status Start(Host& host) override;
  void Shutdown() override;
  uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  const store::Store* ResolveStore();

  Settings settings_;
  PolytraceQueryConfig config_;
  Host* host_ = nullptr;
  std::unique_ptr<query::QueryService> service_;
  std::unique_ptr<HttpServer> server_;
};

std::unique_ptr<ExtensionFactory> NewPolytraceQueryExtensionFactory();

}  // namespace polytrace

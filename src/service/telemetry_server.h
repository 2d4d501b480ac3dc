// TelemetryServer: polytrace's own health on :8888 — /metrics (Prometheus
// text), /healthz (the process is up) and /readyz (pipelines started and not
// shutting down). An empty address disables it.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "net/http_server.h"
#include "telemetry/metrics.h"
#include "tls/tls_config.h"

namespace polytrace {

class TelemetryServer {
 public:
  TelemetryServer(std::string address, MetricsRegistry* metrics,
                  std::optional<TlsServerConfig> tls = std::nullopt);
  Status Start();
  void SetReady(bool ready) { ready_.store(ready); }
  uint16_t port() const { return server_ ? server_->port() : 0; }
  void Shutdown();

 private:
  HttpResponse Handle(const HttpRequest& request);

  std::string address_;
  MetricsRegistry* metrics_;
  std::optional<TlsServerConfig> tls_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<HttpServer> server_;
};

}  // namespace polytrace

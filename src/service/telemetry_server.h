// TelemetryServer: polytrace's own health on :8888 — /metrics (Prometheus
// text), /healthz (the process is up) and /readyz (pipelines started and not
// shutting down). An empty address disables it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/status.h"
#include "net/http_server.h"
#include "telemetry/metrics.h"

namespace polytrace {

class TelemetryServer {
 public:
  TelemetryServer(std::string address, MetricsRegistry* metrics);
  Status Start();
  void SetReady(bool ready) { ready_.store(ready); }
  uint16_t port() const { return server_ ? server_->port() : 0; }
  void Shutdown();

 private:
  HttpResponse Handle(const HttpRequest& request);

  std::string address_;
  MetricsRegistry* metrics_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<HttpServer> server_;
};

}  // namespace polytrace

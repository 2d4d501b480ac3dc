#include "service/telemetry_server.h"

#include "tls/tls_context.h"

namespace polytrace {

TelemetryServer::TelemetryServer(std::string address, MetricsRegistry* metrics,
                                 std::optional<TlsServerConfig> tls)
    : address_(std::move(address)), metrics_(metrics), tls_(std::move(tls)) {}

Status TelemetryServer::Start() {
  if (address_.empty()) return Status::Ok();
  HttpServerOptions options;
  options.endpoint = address_;
  options.threads = 1;
  options.max_request_body_size = 4096;
  options.name = "telemetry";
  if (tls_) {
    Result<std::shared_ptr<TlsContextSource>> tls = TlsContextSource::ForServer(*tls_);
    if (!tls.ok()) return tls.status().WithContext("service.telemetry.metrics.tls");
    options.tls_context = [source = tls.value()] { return source->Current(); };
  }
  server_ = std::make_unique<HttpServer>(options, [this](HttpRequest& r) { return Handle(r); });
  return server_->Start();
}

HttpResponse TelemetryServer::Handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.SetHeader("Allow", "GET, HEAD");
    return r;
  }
  if (request.path == "/metrics") {
    return HttpResponse::WithBody(200, "text/plain; version=0.0.4; charset=utf-8",
                                  metrics_->RenderPrometheus());
  }
  if (request.path == "/healthz") return HttpResponse::Text(200, "ok\n");
  if (request.path == "/readyz") {
    return ready_.load() ? HttpResponse::Text(200, "ready\n")
                         : HttpResponse::Text(503, "not ready\n");
  }
  return HttpResponse::Text(404, "not found: try /metrics, /healthz or /readyz\n");
}

void TelemetryServer::Shutdown() {
  if (server_) server_->Shutdown();
}

}  // namespace polytrace

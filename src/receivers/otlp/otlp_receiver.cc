#include "receivers/otlp/otlp_receiver.h"

#include "net/http_auth.h"
#include "pipeline/auth.h"
#include "tls/tls_context.h"

namespace polytrace {

OtlpReceiver::OtlpReceiver(Settings settings, OtlpReceiverConfig config, TracesConsumer* next)
    : settings_(std::move(settings)), config_(std::move(config)), next_(next) {}

OtlpReceiver::~OtlpReceiver() { Shutdown(); }

Status OtlpReceiver::Start(Host& host) {
  std::string id = settings_.id.ToString();
  if (config_.grpc) {
    ServerAuthenticator* auth = nullptr;
    if (!config_.grpc->authenticator.empty()) {
      Result<ServerAuthenticator*> resolved =
          ResolveServerAuthenticator(host, config_.grpc->authenticator);
      if (!resolved.ok()) return resolved.status().WithContext("protocols.grpc.auth");
      auth = resolved.value();
    }
    grpc_ingest_ = std::make_unique<Ingest>(next_, host.metrics(), id, "grpc", host.admission(),
                                            settings_.logger);
    grpc_ = std::make_unique<OtlpGrpcServer>(*config_.grpc, id + "/grpc", grpc_ingest_.get(), auth,
                                             host.admission(), settings_.logger);
    POLYTRACE_RETURN_IF_ERROR(grpc_->Start());
    settings_.logger->info("OTLP/gRPC listening on {} (port {}{})", config_.grpc->endpoint,
                           grpc_->port(), config_.grpc->tls ? ", TLS" : "");
  }
  if (config_.http) {
    http_ingest_ = std::make_unique<Ingest>(next_, host.metrics(), id, "http", host.admission(),
                                            settings_.logger);
    http_handler_ =
        std::make_unique<OtlpHttpHandler>(*config_.http, http_ingest_.get(), settings_.logger);
    HttpServerOptions options;
    options.endpoint = config_.http->endpoint;
    // Compressed bodies are checked again after decompression.
    options.max_request_body_size = config_.http->max_request_body_size;
    options.threads = 4;
    options.event_loop_per_thread = true;
    options.name = id + "/http";
    options.log_error = [logger = settings_.logger](const std::string& m) { logger->error(m); };
    options.admission = host.admission();
    if (config_.http->tls) {
      Result<std::shared_ptr<TlsContextSource>> tls =
          TlsContextSource::ForServer(*config_.http->tls, options.log_error);
      if (!tls.ok()) return tls.status().WithContext("protocols.http.tls");
      options.tls_context = [source = tls.value()] { return source->Current(); };
    }
    if (!config_.http->authenticator.empty()) {
      Result<ServerAuthenticator*> auth =
          ResolveServerAuthenticator(host, config_.http->authenticator);
      if (!auth.ok()) return auth.status().WithContext("protocols.http.auth");
      options.authorize =
          HttpAuthorizer(auth.value(), options.name,
                         [logger = settings_.logger](const std::string& m) { logger->warn(m); });
    }
    http_server_ = std::make_unique<HttpServer>(
        options, [this](HttpRequest& r) { return http_handler_->Handle(r); });
    POLYTRACE_RETURN_IF_ERROR(http_server_->Start());
    settings_.logger->info("OTLP/HTTP listening on {} (port {}{})", config_.http->endpoint,
                           http_server_->port(), config_.http->tls ? ", TLS" : "");
  }
  return Status::Ok();
}

void OtlpReceiver::Shutdown() {
  if (http_server_) http_server_->Shutdown();
  if (grpc_) grpc_->Shutdown();
}

}  // namespace polytrace

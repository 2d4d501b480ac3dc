// The `otlp` receiver: OTLP/gRPC and OTLP/HTTP servers feeding one consumer.
// Its Ingest objects (one per transport) hold the metric handles.
#pragma once

#include <memory>

#include "net/http_server.h"
#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/grpc_server.h"
#include "receivers/otlp/http_handler.h"
#include "receivers/otlp/ingest.h"

namespace polytrace {

class OtlpReceiver : public Receiver {
 public:
  OtlpReceiver(Settings settings, OtlpReceiverConfig config, TracesConsumer* next);
  ~OtlpReceiver() override;
  Status Start(Host& host) override;
  void Shutdown() override;

  // Bound ports (tests use endpoints with port 0); 0 when not enabled.
  int grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  int http_port() const { return http_server_ ? http_server_->port() : 0; }

 private:
  Settings settings_;
  OtlpReceiverConfig config_;
  TracesConsumer* next_;
  std::unique_ptr<Ingest> grpc_ingest_, http_ingest_;
  std::unique_ptr<OtlpGrpcServer> grpc_;
  std::unique_ptr<OtlpHttpHandler> http_handler_;
  std::unique_ptr<HttpServer> http_server_;
};

}  // namespace polytrace

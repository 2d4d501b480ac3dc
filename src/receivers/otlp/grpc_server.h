// The OTLP/gRPC endpoint: opentelemetry.proto.collector.trace.v1.
// TraceService/Export, served over HTTP/2 by polytrace's own server
// (net/http2_session.h) on the same event loop as HTTP/1.1, not by grpc++'s
// thread pool: a request is read, decoded and handed to the pipeline on the
// thread that read it.
//
// What a gRPC client sees: identity, gzip, zstd and deflate message
// encodings; a message past max_recv_msg_size_mib refused as RESOURCE_EXHAUSTED
// from its 5-byte prefix, before its bytes are buffered; INVALID_ARGUMENT for
// bad data; RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail, or
// UNAVAILABLE, when the pipeline refuses; UNIMPLEMENTED for other methods;
// UNAUTHENTICATED (before the message is read) when an authenticator
// refuses the call's metadata. TLS (ALPN "h2") with every configtls setting.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "core/admission.h"
#include "core/status.h"
#include "net/http_server.h"
#include "pipeline/auth.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/ingest.h"

namespace polytrace {

class OtlpGrpcServer {
 public:
  // `auth` and `admission` may be null (no authentication, no memory_limiter).
  OtlpGrpcServer(OtlpGrpcConfig config, std::string name, Ingest* ingest, ServerAuthenticator* auth,
                 AdmissionGate* admission, std::shared_ptr<spdlog::logger> log);
  ~OtlpGrpcServer();
  Status Start();
  int port() const { return server_ ? server_->port() : 0; }
  void Shutdown();

 private:
  HttpResponse Handle(HttpRequest& request);
  HttpResponse Export(HttpRequest& request);

  OtlpGrpcConfig config_;
  std::string name_;
  Ingest* ingest_;
  ServerAuthenticator* auth_;
  AdmissionGate* admission_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace polytrace

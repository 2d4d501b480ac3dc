// The OTLP/gRPC endpoint: opentelemetry.proto.collector.trace.v1.
// TraceService/Export served without generated code (a callback generic
// service routing on the method name). gzip request compression is handled
// by gRPC itself. Errors: INVALID_ARGUMENT for bad data, RESOURCE_EXHAUSTED
// with a google.rpc.RetryInfo detail or UNAVAILABLE when the pipeline
// refuses, UNIMPLEMENTED for other methods, UNAUTHENTICATED (before the
// message is read) when an authenticator refuses the call's metadata.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "core/status.h"
#include "pipeline/auth.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/ingest.h"

namespace grpc {
class Server;
class CallbackGenericService;
}  // namespace grpc

namespace polytrace {

class OtlpGrpcServer {
 public:
  // `auth` may be null (no authentication).
  OtlpGrpcServer(OtlpGrpcConfig config, Ingest* ingest, ServerAuthenticator* auth,
                 std::shared_ptr<spdlog::logger> log);
  ~OtlpGrpcServer();
  Status Start();
  int port() const { return port_; }
  void Shutdown();

 private:
  OtlpGrpcConfig config_;
  Ingest* ingest_;
  ServerAuthenticator* auth_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<grpc::CallbackGenericService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace polytrace

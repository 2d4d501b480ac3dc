#include "receivers/otlp/grpc_server.h"

#include <fmt/format.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "core/log_throttle.h"
#include "net/http_server.h"
#include "otlp/proto_codec.h"
#include "tls/grpc_credentials.h"

namespace polytrace {
namespace {

constexpr char kExportMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::Status ToGrpcStatus(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  if (st.code() == StatusCode::kResourceExhausted) {
    int64_t ms = st.retry_after() ? st.retry_after()->count() : 1000;
    // The OTLP spec makes RESOURCE_EXHAUSTED retryable only with RetryInfo.
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, st.message(),
                        otlp::EncodeRpcStatusWithRetryInfoProto(8, st.message(), ms));
  }
  if (st.retryable()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, st.message());
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, st.message());
}

// One Export call: read the request, ingest it, write the response.
class ExportReactor : public grpc::ServerGenericBidiReactor {
 public:
  ExportReactor(Ingest* ingest, spdlog::logger* log, std::string peer)
      : ingest_(ingest), log_(log), peer_(std::move(peer)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    Result<AdmissionGate::Ticket> admitted = ingest_->Admit(request_.Length(), /*json=*/false);
    if (!admitted.ok()) {
      Finish(ToGrpcStatus(admitted.status()));
      return;
    }
    Traces traces;
    std::string_view bytes = traces.Adopt(Flatten(request_));
    Status decoded = ingest_->DecodeProto(bytes, &traces);
    if (!decoded.ok()) {
      ingest_->CountBadRequest("decode");
      log_->debug("rejected a request from {}: {}", peer_, decoded.message());
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "invalid OTLP protobuf request: " + decoded.message()));
      return;
    }
    IngestOutcome outcome = ingest_->Consume(std::move(traces));
    if (!outcome.status.ok()) {
      Finish(ToGrpcStatus(outcome.status));
      return;
    }
    std::string body =
        otlp::EncodeExportResponseProto(outcome.rejected_spans, outcome.error_message);
    grpc::Slice slice(body);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  Ingest* ingest_;
  spdlog::logger* log_;
  std::string peer_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

// A call answered without reading its message.
class RefusingReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit RefusingReactor(grpc::Status status) { Finish(status); }
  void OnDone() override { delete this; }
};

AuthHeaders MetadataOf(const grpc::GenericCallbackServerContext& ctx) {
  AuthHeaders out;
  for (const auto& [key, value] : ctx.client_metadata()) {
    out.emplace_back(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return out;
}

class TraceService : public grpc::CallbackGenericService {
 public:
  TraceService(Ingest* ingest, ServerAuthenticator* auth, spdlog::logger* log)
      : ingest_(ingest), auth_(auth), log_(log) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    if (auth_ != nullptr) {
      Status st = auth_->Authenticate(MetadataOf(*ctx));
      if (!st.ok()) {
        if (auth_log_.Allow()) {
          log_->warn("otlp/grpc: refused a call from {}: {}", ctx->peer(), st.message());
        }
        return new RefusingReactor(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, st.message()));
      }
    }
    if (ctx->method() == kExportMethod) return new ExportReactor(ingest_, log_, ctx->peer());
    return new RefusingReactor(
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                     fmt::format("polytrace does not serve {}; it receives traces on {}",
                                 ctx->method(), kExportMethod)));
  }

 private:
  Ingest* ingest_;
  ServerAuthenticator* auth_;
  spdlog::logger* log_;
  LogThrottle auth_log_;  // refusals are logged a few times a second at most
};

}  // namespace

OtlpGrpcServer::OtlpGrpcServer(OtlpGrpcConfig config, Ingest* ingest, ServerAuthenticator* auth,
                               std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)), ingest_(ingest), auth_(auth), log_(std::move(log)) {}

OtlpGrpcServer::~OtlpGrpcServer() { Shutdown(); }

Status OtlpGrpcServer::Start() {
  std::string host;
  uint16_t port;
  if (!SplitHostPort(config_.endpoint, &host, &port)) {
    return Status::InvalidArgument(
        fmt::format("otlp/grpc: invalid endpoint \"{}\" (expected host:port)", config_.endpoint));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (config_.tls) {
    Result<std::shared_ptr<grpc::ServerCredentials>> tls = GrpcServerCredentials(*config_.tls);
    if (!tls.ok()) return tls.status().WithContext("protocols.grpc.tls");
    credentials = tls.value();
  }
  service_ = std::make_unique<TraceService>(ingest_, auth_, log_.get());
  grpc::ServerBuilder builder;
  std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  builder.AddListeningPort(address, credentials, &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_recv_msg_size_mib << 20));
  if (config_.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               static_cast<int>(config_.max_concurrent_streams));
  }
  // Without this, a second server on the same port would silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterCallbackGenericService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return Status::Unavailable(
        fmt::format("otlp/grpc: listen {}: address unavailable or in use", config_.endpoint));
  }
  return Status::Ok();
}

void OtlpGrpcServer::Shutdown() {
  if (!server_) return;
  // In-flight calls get up to 5 s to finish before they are cancelled.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_.reset();
}

}  // namespace polytrace

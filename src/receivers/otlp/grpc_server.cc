#include "receivers/otlp/grpc_server.h"

#include <fmt/format.h>

#include "compression/compression.h"
#include "net/grpc_wire.h"
#include "net/http_auth.h"
#include "otlp/proto_codec.h"
#include "tls/tls_context.h"

namespace polytrace {
namespace {

constexpr char kExportMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr char kEncodings[] = "identity,gzip,zstd,deflate";

// The pipeline's (or admission's) refusal, as the OTLP spec wants it over
// gRPC: RESOURCE_EXHAUSTED is retryable only with RetryInfo.
HttpResponse Refused(const Status& st) {
  if (st.code() == StatusCode::kResourceExhausted) {
    int64_t ms = st.retry_after() ? st.retry_after()->count() : 1000;
    return grpc_wire::Refusal(
        grpc_wire::kResourceExhausted, st.message(),
        otlp::EncodeRpcStatusWithRetryInfoProto(grpc_wire::kResourceExhausted, st.message(), ms));
  }
  if (st.retryable()) return grpc_wire::Refusal(grpc_wire::kUnavailable, st.message());
  return grpc_wire::Refusal(grpc_wire::kInvalidArgument, st.message());
}

}  // namespace

OtlpGrpcServer::OtlpGrpcServer(OtlpGrpcConfig config, std::string name, Ingest* ingest,
                               ServerAuthenticator* auth, AdmissionGate* admission,
                               std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)),
      name_(std::move(name)),
      ingest_(ingest),
      auth_(auth),
      admission_(admission),
      log_(std::move(log)) {}

OtlpGrpcServer::~OtlpGrpcServer() { Shutdown(); }

Status OtlpGrpcServer::Start() {
  HttpServerOptions options;
  options.endpoint = config_.endpoint;
  options.name = name_;
  options.http2 = true;
  options.max_request_body_size = grpc_wire::kPrefixBytes + (config_.max_recv_msg_size_mib << 20);
  if (config_.max_concurrent_streams > 0) {
    options.max_concurrent_streams = config_.max_concurrent_streams;
  }
  options.threads = 4;  // a handler may wait (the store's WAL): other loops go on
  options.event_loop_per_thread = true;
  // grpc-go's PING and WINDOW_UPDATE after each answer are 30 bytes; any
  // request (its HEADERS and a DATA frame) is more.
  options.quiet_input_bytes = 31;
  options.log_error = [log = log_](const std::string& m) { log->error(m); };
  options.admission = admission_;
  if (config_.tls) {
    Result<std::shared_ptr<TlsContextSource>> tls =
        TlsContextSource::ForServer(*config_.tls, options.log_error, /*http2=*/true);
    if (!tls.ok()) return tls.status().WithContext("protocols.grpc.tls");
    options.tls_context = [source = tls.value()] { return source->Current(); };
  }
  if (auth_ != nullptr) {
    options.authorize =
        HttpAuthorizer(auth_, options.name, [log = log_](const std::string& m) { log->warn(m); });
  }
  options.refusal_form = [](const HttpRequest& head, HttpResponse refusal) {
    if (!grpc_wire::IsGrpcContentType(head.Header("content-type"))) return refusal;
    std::string message = refusal.body;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    if (refusal.status == 429) return Refused(Status::ResourceExhausted(message));
    return grpc_wire::Refusal(grpc_wire::CodeForHttpStatus(refusal.status), message);
  };
  server_ = std::make_unique<HttpServer>(options, [this](HttpRequest& r) { return Handle(r); });
  Status started = server_->Start();
  if (!started.ok()) server_.reset();
  return started;
}

HttpResponse OtlpGrpcServer::Handle(HttpRequest& request) {
  if (!grpc_wire::IsGrpcContentType(request.Header("content-type"))) {
    // gRPC's own answer to a request that is not gRPC.
    ingest_->CountBadRequest("content_type");
    return HttpResponse::Text(415, fmt::format("this port serves gRPC (content-type "
                                               "application/grpc), not \"{}\"\n",
                                               request.Header("content-type")));
  }
  if (request.method != "POST" || request.path != kExportMethod) {
    return grpc_wire::Refusal(grpc_wire::kUnimplemented,
                              fmt::format("polytrace does not serve {} {}; it receives traces "
                                          "on {}",
                                          request.method, request.path, kExportMethod));
  }
  return Export(request);
}

HttpResponse OtlpGrpcServer::Export(HttpRequest& request) {
  std::optional<grpc_wire::MessagePrefix> prefix = grpc_wire::ParsePrefix(request.body);
  if (!prefix) {
    ingest_->CountBadRequest("decode");
    return grpc_wire::Refusal(grpc_wire::kInvalidArgument, request.body.empty()
                                                               ? "no request message"
                                                               : "malformed gRPC message prefix");
  }
  if (request.body.size() != grpc_wire::kPrefixBytes + prefix->length) {
    ingest_->CountBadRequest("decode");
    return grpc_wire::Refusal(
        grpc_wire::kInternal,
        fmt::format("the request's gRPC message declares {} bytes but {} followed (a unary call "
                    "carries exactly one message)",
                    prefix->length, request.body.size() - grpc_wire::kPrefixBytes));
  }
  // The message follows its prefix: viewed there, not moved to the front.
  std::string body = std::move(request.body);
  size_t skip = grpc_wire::kPrefixBytes;
  AdmissionGate::Ticket inflated;  // what decompression may produce, held with the body
  if (prefix->compressed) {
    std::string_view encoding = request.Header("grpc-encoding");
    Result<Compression> compression = ParseCompression(encoding);
    if (!compression.ok() || *compression == Compression::kNone) {
      ingest_->CountBadRequest("content_encoding");
      HttpResponse r = grpc_wire::Refusal(
          compression.ok() ? grpc_wire::kInternal : grpc_wire::kUnimplemented,
          compression.ok() ? "compressed flag set with identity encoding"
                           : fmt::format("grpc-encoding \"{}\" is not supported", encoding));
      r.headers.emplace_back("grpc-accept-encoding", kEncodings);
      return r;
    }
    const size_t limit = config_.max_recv_msg_size_mib << 20;
    Result<AdmissionGate::Ticket> admitted = ingest_->AdmitBytes(limit);
    if (!admitted.ok()) return Refused(admitted.status());
    inflated = std::move(*admitted);
    Result<std::string> plain =
        Decompress(*compression, std::string_view(body).substr(skip), limit);
    if (!plain.ok()) {
      bool too_large = plain.status().code() == StatusCode::kResourceExhausted;
      ingest_->CountBadRequest(too_large ? "too_large" : "decompress");
      return grpc_wire::Refusal(too_large ? grpc_wire::kResourceExhausted : grpc_wire::kInternal,
                                plain.status().message());
    }
    body = std::move(*plain);
    skip = 0;
  }
  Result<AdmissionGate::Ticket> admitted = ingest_->Admit(body.size() - skip, /*json=*/false);
  if (!admitted.ok()) return Refused(admitted.status());
  Traces traces;
  std::string_view bytes = traces.Adopt(std::move(body)).substr(skip);
  Status decoded = ingest_->DecodeProto(bytes, &traces);
  if (!decoded.ok()) {
    ingest_->CountBadRequest("decode");
    log_->debug("rejected a request from {}: {}", request.remote_address, decoded.message());
    return grpc_wire::Refusal(grpc_wire::kInvalidArgument,
                              "invalid OTLP protobuf request: " + decoded.message());
  }
  IngestOutcome outcome = ingest_->Consume(std::move(traces));
  if (!outcome.status.ok()) return Refused(outcome.status);
  return grpc_wire::Reply(
      otlp::EncodeExportResponseProto(outcome.rejected_spans, outcome.error_message));
}

void OtlpGrpcServer::Shutdown() {
  // In-flight calls get up to 5 s to finish.
  if (server_) server_->Shutdown();
}

}  // namespace polytrace

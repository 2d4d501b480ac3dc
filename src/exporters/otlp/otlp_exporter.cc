#include "exporters/otlp/otlp_exporter.h"

#include <fmt/format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>

#include "otlp/proto_codec.h"
#include "otlp/wire.h"
#include "pipeline/auth.h"
#include "tls/grpc_credentials.h"

namespace polytrace {

Status OtlpGrpcExporterConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("endpoint", &endpoint));
  POLYTRACE_RETURN_IF_ERROR(r.Read("headers", &headers));
  POLYTRACE_RETURN_IF_ERROR(r.Read("compression", &compression));
  POLYTRACE_RETURN_IF_ERROR(r.Read("balancer_name", &balancer_name));
  for (const char* key :
       {"keepalive", "read_buffer_size", "write_buffer_size", "wait_for_ready", "authority"}) {
    r.Raw(key);  // accepted for compatibility with otelcol configs
  }
  POLYTRACE_RETURN_IF_ERROR(ReadTlsClientConfig(r, &tls));
  POLYTRACE_RETURN_IF_ERROR(ReadAuthConfig(r, &authenticator));
  POLYTRACE_RETURN_IF_ERROR(helper.Unmarshal(r));
  return r.Finish();
}

Status OtlpGrpcExporterConfig::Validate() const {
  if (endpoint.empty()) return Status::InvalidArgument("\"endpoint\" must be set (host:port)");
  if (compression != "gzip" && compression != "none" && !compression.empty()) {
    return Status::InvalidArgument(
        fmt::format("compression \"{}\" is not supported (gzip, none)", compression));
  }
  if (!tls.insecure) return ValidateGrpcTlsVersions(tls).WithContext("tls");
  return Status::Ok();
}

std::optional<std::chrono::milliseconds> RetryDelayFromStatusDetails(std::string_view details) {
  // google.rpc.Status{details=3: Any{type_url=1, value=2: RetryInfo{retry_delay=1: Duration}}}
  auto find_len = [](std::string_view msg, uint32_t want, std::string_view* out) {
    otlp::wire::Reader r(msg, 0);
    uint32_t field;
    otlp::wire::WireType type;
    while (!r.done() && r.ReadTag(&field, &type)) {
      if (field == want && type == otlp::wire::kLen) return r.ReadBytes(out);
      if (!r.Skip(type)) return false;
    }
    return false;
  };
  otlp::wire::Reader top(details, 0);
  uint32_t field;
  otlp::wire::WireType type;
  while (!top.done() && top.ReadTag(&field, &type)) {
    std::string_view any, type_url, retry_info, duration;
    if (field != 3 || type != otlp::wire::kLen) {
      if (!top.Skip(type)) return std::nullopt;
      continue;
    }
    if (!top.ReadBytes(&any)) return std::nullopt;
    if (!find_len(any, 1, &type_url) ||
        type_url.find("google.rpc.RetryInfo") == std::string_view::npos) {
      continue;
    }
    if (!find_len(any, 2, &retry_info) || !find_len(retry_info, 1, &duration)) return std::nullopt;
    int64_t seconds = 0, nanos = 0;
    otlp::wire::Reader d(duration, 0);
    while (!d.done() && d.ReadTag(&field, &type)) {
      uint64_t v;
      if (type != otlp::wire::kVarint || !d.ReadVarint(&v)) return std::nullopt;
      (field == 1 ? seconds : nanos) = static_cast<int64_t>(v);
    }
    return std::chrono::milliseconds(seconds * 1000 + nanos / 1'000'000);
  }
  return std::nullopt;
}

namespace {

constexpr char kExportMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

Status FromGrpc(const grpc::Status& st) {
  std::string msg =
      fmt::format("gRPC {}: {}", static_cast<int>(st.error_code()), st.error_message());
  switch (st.error_code()) {
    case grpc::StatusCode::OK: return Status::Ok();
    case grpc::StatusCode::RESOURCE_EXHAUSTED: {
      // Retryable only when the server says when (OTLP spec).
      auto delay = RetryDelayFromStatusDetails(st.error_details());
      if (!delay) return Status::InvalidArgument(msg);
      return Status::ResourceExhausted(msg).set_retry_after(*delay);
    }
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS: {
      Status s = Status::Unavailable(msg);
      if (auto delay = RetryDelayFromStatusDetails(st.error_details())) s.set_retry_after(*delay);
      return s;
    }
    default: return Status::InvalidArgument(msg);
  }
}

class OtlpGrpcSender : public RequestSender {
 public:
  explicit OtlpGrpcSender(const OtlpGrpcExporterConfig& c) : config_(c) {}

  Status Start(Host& host) override {
    if (!config_.authenticator.empty()) {
      Result<ClientAuthenticator*> auth = ResolveClientAuthenticator(host, config_.authenticator);
      if (!auth.ok()) return auth.status();
      authenticator_ = auth.value();
    }
    grpc::ChannelArguments args;
    Result<std::shared_ptr<grpc::ChannelCredentials>> creds =
        GrpcChannelCredentials(config_.tls, &args);
    if (!creds.ok()) return creds.status();
    args.SetMaxSendMessageSize(-1);
    if (config_.compression == "gzip") args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
    std::string target = config_.endpoint;
    for (const char* scheme : {"http://", "https://"}) {
      if (target.rfind(scheme, 0) == 0) target = target.substr(strlen(scheme));
    }
    stub_ =
        std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(target, creds.value(), args));
    return Status::Ok();
  }

  Status Send(const ExportRequest& request, std::chrono::milliseconds timeout) override {
    grpc::ClientContext ctx;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) return Status::Unavailable("export cancelled: shutting down");
      in_flight_.insert(&ctx);
    }
    struct Unregister {
      OtlpGrpcSender* self;
      grpc::ClientContext* ctx;
      ~Unregister() {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->in_flight_.erase(ctx);
      }
    } unregister{this, &ctx};
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    for (const auto& [k, v] : config_.headers) ctx.AddMetadata(k, v);
    if (authenticator_ != nullptr) {
      // Per call: a rotated token file applies to the next export.
      Result<AuthHeaders> credentials = authenticator_->RequestHeaders();
      if (!credentials.ok()) return credentials.status();
      for (const auto& [k, v] : credentials.value()) ctx.AddMetadata(k, v);
    }
    grpc::Slice slice(request.payload);
    grpc::ByteBuffer req(&slice, 1), reply;
    std::promise<grpc::Status> done;
    stub_->UnaryCall(&ctx, kExportMethod, grpc::StubOptions(), &req, &reply,
                     [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return FromGrpc(done.get_future().get());
  }

  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    for (grpc::ClientContext* ctx : in_flight_) ctx->TryCancel();  // the call ends CANCELLED
  }

 private:
  OtlpGrpcExporterConfig config_;
  ClientAuthenticator* authenticator_ = nullptr;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::mutex mu_;
  std::set<grpc::ClientContext*> in_flight_;  // guarded by mu_
  bool cancelled_ = false;                    // guarded by mu_
};

class OtlpExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "otlp"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<OtlpGrpcExporterConfig>();
  }
  Result<ExporterPtr> CreateTracesExporter(const Settings& settings,
                                           const ComponentConfig& config) const override {
    const auto& c = static_cast<const OtlpGrpcExporterConfig&>(config);
    return ExporterPtr(std::make_unique<QueuedExporter>(
        settings, c.helper, [](const Traces& t) { return otlp::EncodeTracesProto(t); },
        std::make_unique<OtlpGrpcSender>(c), /*encoder_reads_spans=*/false));
  }
};

}  // namespace

std::unique_ptr<ExporterFactory> NewOtlpExporterFactory() {
  return std::make_unique<OtlpExporterFactory>();
}

}  // namespace polytrace

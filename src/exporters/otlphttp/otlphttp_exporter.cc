#include "exporters/otlphttp/otlphttp_exporter.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

#include "compression/compression.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "pipeline/auth.h"

namespace polytrace {

Status OtlpHttpExporterConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("endpoint", &endpoint));
  POLYTRACE_RETURN_IF_ERROR(r.Read("traces_endpoint", &traces_endpoint));
  POLYTRACE_RETURN_IF_ERROR(r.Read("headers", &headers));
  POLYTRACE_RETURN_IF_ERROR(r.Read("compression", &compression));
  POLYTRACE_RETURN_IF_ERROR(r.Read("encoding", &encoding));
  std::string unused;
  for (const char* key : {"metrics_endpoint", "logs_endpoint", "profiles_endpoint"}) {
    POLYTRACE_RETURN_IF_ERROR(r.Read(key, &unused));
  }
  for (const char* key : {"read_buffer_size", "write_buffer_size", "max_idle_conns",
                          "max_idle_conns_per_host", "max_conns_per_host", "idle_conn_timeout",
                          "disable_keep_alives", "http2_read_idle_timeout", "http2_ping_timeout"}) {
    r.Raw(key);  // accepted for compatibility with otelcol configs
  }
  // tls.insecure is read and has no effect: the URL's scheme decides, as in
  // the Collector's confighttp.
  POLYTRACE_RETURN_IF_ERROR(ReadTlsClientConfig(r, &tls));
  POLYTRACE_RETURN_IF_ERROR(ReadAuthConfig(r, &authenticator));
  POLYTRACE_RETURN_IF_ERROR(helper.Unmarshal(r));
  return r.Finish();
}

Status OtlpHttpExporterConfig::Validate() const {
  if (endpoint.empty() && traces_endpoint.empty()) {
    return Status::InvalidArgument("\"endpoint\" or \"traces_endpoint\" must be set");
  }
  Result<Url> url = Url::Parse(TracesUrl());
  if (!url.ok()) return url.status();
  if (compression != "gzip" && compression != "zstd" && compression != "none" &&
      !compression.empty()) {
    return Status::InvalidArgument(
        fmt::format("compression \"{}\" is not supported (gzip, zstd, none)", compression));
  }
  if (encoding != "proto" && encoding != "json") {
    return Status::InvalidArgument(fmt::format("encoding \"{}\" is not proto or json", encoding));
  }
  return Status::Ok();
}

std::string OtlpHttpExporterConfig::TracesUrl() const {
  if (!traces_endpoint.empty()) return traces_endpoint;
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/traces";
}

namespace {

std::chrono::milliseconds ParseRetryAfter(const std::string& value) {
  if (value.empty()) return std::chrono::milliseconds(0);
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    // The server's number is capped at a day: a huge one must not overflow.
    constexpr int64_t kMaxSeconds = 24 * 3600;
    int64_t seconds = kMaxSeconds;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || seconds > kMaxSeconds) seconds = kMaxSeconds;
    return std::chrono::seconds(seconds);
  }
  std::tm tm{};
  if (strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) {
    return std::chrono::milliseconds(0);
  }
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto delta = when - std::chrono::system_clock::now();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(delta));
}

}  // namespace

Status InterpretOtlpHttpResponse(const HttpClientResponse& r) {
  if (r.status >= 200 && r.status < 300) return Status::Ok();
  std::string detail = r.body.substr(0, 512);
  Status st;
  switch (r.status) {
    case 429: st = Status::ResourceExhausted(fmt::format("HTTP 429: {}", detail)); break;
    case 502:
    case 503:
    case 504: st = Status::Unavailable(fmt::format("HTTP {}: {}", r.status, detail)); break;
    default:
      return Status::InvalidArgument(fmt::format("HTTP {} (permanent): {}", r.status, detail));
  }
  std::chrono::milliseconds after = ParseRetryAfter(r.retry_after);
  if (after.count() > 0) st.set_retry_after(after);
  return st;
}

namespace {

class OtlpHttpSender : public RequestSender {
 public:
  OtlpHttpSender(const OtlpHttpExporterConfig& config, std::shared_ptr<spdlog::logger> log)
      : client_(Url::Parse(config.TracesUrl()).value(), config.tls),
        authenticator_id_(config.authenticator),
        log_(std::move(log)) {
    headers_.emplace_back(
        "Content-Type", config.encoding == "json" ? "application/json" : "application/x-protobuf");
    if (config.compression == "gzip" || config.compression == "zstd") {
      headers_.emplace_back("Content-Encoding", config.compression);
    }
    for (const auto& [k, v] : config.headers) headers_.emplace_back(k, v);
    json_ = config.encoding == "json";
  }

  Status Start(Host& host) override {
    if (!client_.status().ok()) return client_.status();
    if (authenticator_id_.empty()) return Status::Ok();
    Result<ClientAuthenticator*> auth = ResolveClientAuthenticator(host, authenticator_id_);
    if (!auth.ok()) return auth.status();
    authenticator_ = auth.value();
    return Status::Ok();
  }

  Status Send(const ExportRequest& request, std::chrono::milliseconds timeout) override {
    return Begin(request, timeout)->Finish();
  }
  std::unique_ptr<SendInProgress> Begin(const ExportRequest& request,
                                        std::chrono::milliseconds timeout) override {
    auto attempt = std::make_unique<Attempt>(*this);
    if (authenticator_ == nullptr) {
      attempt->posted = client_.BeginPost(headers_, request.payload, timeout);
      return attempt;
    }
    // Per request: a rotated token file applies to the next export.
    Result<AuthHeaders> credentials = authenticator_->RequestHeaders();
    if (!credentials.ok()) {
      attempt->refused = credentials.status();
      return attempt;
    }
    std::vector<std::pair<std::string, std::string>> headers = headers_;
    headers.insert(headers.end(), credentials.value().begin(), credentials.value().end());
    attempt->posted = client_.BeginPost(headers, request.payload, timeout);
    return attempt;
  }
  void Cancel() override { client_.Cancel(); }

 private:
  // A POST whose answer is read by Finish.
  struct Attempt : SendInProgress {
    explicit Attempt(OtlpHttpSender& s) : sender(s) {}
    bool outcome_known() const override { return posted == nullptr || posted->outcome_known(); }
    Status Finish() override {
      if (posted == nullptr) return refused;
      return sender.Interpret(sender.client_.FinishPost(std::move(posted)));
    }
    OtlpHttpSender& sender;
    std::unique_ptr<HttpClient::Posted> posted;  // null: refused before sending
    Status refused;
  };

  Status Interpret(Result<HttpClientResponse> r) {
    if (!r.ok()) return r.status();
    Status st = InterpretOtlpHttpResponse(*r);
    if (st.ok() && !r->body.empty() && !json_) {
      int64_t rejected = 0;
      std::string message;
      if (otlp::DecodeExportResponseProto(r->body, &rejected, &message).ok() && rejected > 0) {
        log_->warn("the receiver rejected {} spans: {}", rejected, message);
      }
    }
    return st;
  }

  HttpClient client_;
  std::string authenticator_id_;
  ClientAuthenticator* authenticator_ = nullptr;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool json_ = false;
};

class OtlpHttpExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "otlphttp"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<OtlpHttpExporterConfig>();
  }
  Result<ExporterPtr> CreateTracesExporter(const Settings& settings,
                                           const ComponentConfig& config) const override {
    const auto& c = static_cast<const OtlpHttpExporterConfig&>(config);
    Compression compression = c.compression == "gzip"   ? Compression::kGzip
                              : c.compression == "zstd" ? Compression::kZstd
                                                        : Compression::kNone;
    bool json = c.encoding == "json";
    RequestEncoder encoder = [compression, json](const Traces& t) {
      const std::vector<std::string_view>* wire = json ? nullptr : t.wire();
      if (wire && compression != Compression::kNone) return Compress(compression, *wire);
      std::string body = json ? otlp::EncodeTracesJson(t) : otlp::EncodeTracesProto(t);
      return compression == Compression::kNone ? body : Compress(compression, body);
    };
    return ExporterPtr(std::make_unique<QueuedExporter>(
        settings, c.helper, encoder, std::make_unique<OtlpHttpSender>(c, settings.logger),
        /*encoder_reads_spans=*/json));
  }
};

}  // namespace

std::unique_ptr<ExporterFactory> NewOtlpHttpExporterFactory() {
  return std::make_unique<OtlpHttpExporterFactory>();
}

}  // namespace polytrace

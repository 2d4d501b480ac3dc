#include "receivers/otlp/http_handler.h"

#include <fmt/format.h>

#include "compression/compression.h"
#include "net/grpc_wire.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"

namespace polytrace {
namespace {

constexpr char kProtobuf[] = "application/x-protobuf";
constexpr char kJson[] = "application/json";

// The media type without parameters, lower-cased ("application/json; charset=utf-8").
std::string MediaType(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

HttpResponse RpcStatus(int http_status, bool json, int code, const std::string& message) {
  if (json)
    return HttpResponse::WithBody(http_status, kJson, otlp::EncodeRpcStatusJson(code, message));
  return HttpResponse::WithBody(http_status, kProtobuf, otlp::EncodeRpcStatusProto(code, message));
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == text;
  std::string_view prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  return text.size() >= prefix.size() + suffix.size() && text.substr(0, prefix.size()) == prefix &&
         text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

OtlpHttpHandler::OtlpHttpHandler(OtlpHttpConfig config, Ingest* ingest,
                                 std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)), ingest_(ingest), log_(std::move(log)) {}

HttpResponse OtlpHttpHandler::Handle(HttpRequest& request) {
  if (request.path == "/v1/logs" || request.path == "/v1/metrics") {
    return HttpResponse::Text(404,
                              fmt::format("polytrace receives traces only; {} is not supported "
                                          "yet (send traces to {})\n",
                                          request.path, config_.traces_url_path));
  }
  if (request.path != config_.traces_url_path) {
    return HttpResponse::Text(404, fmt::format("not found: {} (OTLP traces go to POST {})\n",
                                               request.path, config_.traces_url_path));
  }
  if (request.method == "OPTIONS") return Preflight(request);
  if (request.method != "POST") {
    HttpResponse r = HttpResponse::Text(
        405, fmt::format("method {} not allowed on {}; use POST\n", request.method, request.path));
    r.SetHeader("Allow", "POST, OPTIONS");
    return r;
  }
  std::string type = MediaType(request.Header("content-type"));
  HttpResponse response;
  if (type == kProtobuf || type == "application/protobuf") {
    response = HandleExport(request, false);
  } else if (type == kJson) {
    response = HandleExport(request, true);
  } else {
    ingest_->CountBadRequest("content_type");
    response = HttpResponse::Text(
        415, fmt::format("unsupported content type \"{}\"; use application/x-protobuf or "
                         "application/json\n",
                         request.Header("content-type")));
  }
  AddCors(request, &response);
  return response;
}

HttpResponse OtlpHttpHandler::HandleExport(HttpRequest& request, bool json) {
  Result<Compression> compression = ParseCompression(request.Header("content-encoding"));
  if (!compression.ok()) {
    ingest_->CountBadRequest("content_encoding");
    return RpcStatus(415, json, grpc_wire::kInvalidArgument, compression.status().message());
  }
  std::string body = std::move(request.body);
  AdmissionGate::Ticket inflated;  // what decompression may produce, held with the body
  if (*compression != Compression::kNone) {
    Result<AdmissionGate::Ticket> admitted = ingest_->AdmitBytes(config_.max_request_body_size);
    if (!admitted.ok()) return Refused(admitted.status(), json);
    inflated = std::move(*admitted);
    Result<std::string> plain = Decompress(*compression, body, config_.max_request_body_size);
    if (!plain.ok()) {
      bool too_large = plain.status().code() == StatusCode::kResourceExhausted;
      ingest_->CountBadRequest(too_large ? "too_large" : "decompress");
      return RpcStatus(too_large ? 413 : 400, json, grpc_wire::kInvalidArgument,
                       plain.status().message());
    }
    body = std::move(*plain);
  }

  Result<AdmissionGate::Ticket> admitted = ingest_->Admit(body.size(), json);
  if (!admitted.ok()) return Refused(admitted.status(), json);

  Traces traces;
  std::string_view bytes = traces.Adopt(std::move(body));
  Status decoded =
      json ? ingest_->DecodeJson(bytes, &traces) : ingest_->DecodeProto(bytes, &traces);
  if (!decoded.ok()) {
    ingest_->CountBadRequest("decode");
    log_->debug("rejected a request from {}: {}", request.remote_address, decoded.message());
    return RpcStatus(
        400, json, grpc_wire::kInvalidArgument,
        fmt::format("invalid OTLP {} request: {}", json ? "JSON" : "protobuf", decoded.message()));
  }

  IngestOutcome outcome = ingest_->Consume(std::move(traces));
  if (!outcome.status.ok()) return Refused(outcome.status, json);
  if (json) {
    return HttpResponse::WithBody(
        200, kJson, otlp::EncodeExportResponseJson(outcome.rejected_spans, outcome.error_message));
  }
  return HttpResponse::WithBody(
      200, kProtobuf,
      otlp::EncodeExportResponseProto(outcome.rejected_spans, outcome.error_message));
}

HttpResponse OtlpHttpHandler::Refused(const Status& st, bool json) const {
  if (!st.retryable()) return RpcStatus(400, json, grpc_wire::kInvalidArgument, st.message());
  bool exhausted = st.code() == StatusCode::kResourceExhausted;
  HttpResponse r =
      RpcStatus(exhausted ? 429 : 503, json,
                exhausted ? grpc_wire::kResourceExhausted : grpc_wire::kUnavailable, st.message());
  int64_t ms = st.retry_after() ? st.retry_after()->count() : 1000;
  r.SetHeader("Retry-After", std::to_string(std::max<int64_t>(1, (ms + 999) / 1000)));
  return r;
}

bool OtlpHttpHandler::OriginAllowed(std::string_view origin) const {
  for (const std::string& pattern : config_.cors.allowed_origins) {
    if (WildcardMatch(pattern, origin)) return true;
  }
  return false;
}

void OtlpHttpHandler::AddCors(const HttpRequest& request, HttpResponse* response) const {
  std::string_view origin = request.Header("origin");
  if (origin.empty() || !OriginAllowed(origin)) return;
  response->SetHeader("Access-Control-Allow-Origin", std::string(origin));
  response->SetHeader("Vary", "Origin");
}

HttpResponse OtlpHttpHandler::Preflight(const HttpRequest& request) {
  HttpResponse r;
  r.status = 204;
  std::string_view origin = request.Header("origin");
  if (origin.empty() || !OriginAllowed(origin)) return r;  // the browser then blocks the call
  AddCors(request, &r);
  r.SetHeader("Access-Control-Allow-Methods", "POST");
  std::string headers = "Content-Type, Content-Encoding, Accept, X-Requested-With";
  for (const std::string& h : config_.cors.allowed_headers) headers += ", " + h;
  r.SetHeader("Access-Control-Allow-Headers", headers);
  if (config_.cors.max_age > 0)
    r.SetHeader("Access-Control-Max-Age", std::to_string(config_.cors.max_age));
  return r;
}

}  // namespace polytrace

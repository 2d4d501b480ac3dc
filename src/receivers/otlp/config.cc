#include "receivers/otlp/config.h"

#include <fmt/format.h>

#include "pipeline/auth.h"

namespace polytrace {
namespace {

// Keys the Collector accepts that polytrace reads but does not act on yet;
// refusing them would break configs written for otelcol.
constexpr const char* kAcceptedButUnused[] = {
    "read_buffer_size", "write_buffer_size",      "keepalive",
    "transport",        "compression_algorithms", "response_headers"};

Status ReadAcceptedButUnused(ConfigReader& r) {
  for (const char* key : kAcceptedButUnused) r.Raw(key);
  return Status::Ok();
}

template <typename Protocol>
Status ReadTlsAndAuth(ConfigReader& r, Protocol* c) {
  Result<std::optional<TlsServerConfig>> tls = ReadTlsServerConfig(r);
  if (!tls.ok()) return tls.status();
  c->tls = std::move(tls.value());
  return ReadAuthConfig(r, &c->authenticator);
}

Status ReadCors(ConfigReader& parent, CorsConfig* cors) {
  Result<ConfigReader> r = parent.Child("cors");
  if (!r.ok()) return r.status();
  POLYTRACE_RETURN_IF_ERROR(r->Read("allowed_origins", &cors->allowed_origins));
  POLYTRACE_RETURN_IF_ERROR(r->Read("allowed_headers", &cors->allowed_headers));
  POLYTRACE_RETURN_IF_ERROR(r->Read("max_age", &cors->max_age));
  return r->Finish();
}

}  // namespace

Status OtlpReceiverConfig::Unmarshal(ConfigReader& reader) {
  Result<ConfigReader> protocols = reader.Child("protocols");
  if (!protocols.ok()) return protocols.status();
  bool has_grpc = false, has_http = false;
  Result<ConfigReader> g = protocols->Child("grpc", &has_grpc);
  if (!g.ok()) return g.status();
  if (has_grpc) {
    OtlpGrpcConfig c;
    POLYTRACE_RETURN_IF_ERROR(g->Read("endpoint", &c.endpoint));
    POLYTRACE_RETURN_IF_ERROR(g->Read("max_recv_msg_size_mib", &c.max_recv_msg_size_mib));
    POLYTRACE_RETURN_IF_ERROR(g->Read("max_concurrent_streams", &c.max_concurrent_streams));
    POLYTRACE_RETURN_IF_ERROR(g->Read("include_metadata", &c.include_metadata));
    POLYTRACE_RETURN_IF_ERROR(ReadTlsAndAuth(*g, &c));
    POLYTRACE_RETURN_IF_ERROR(ReadAcceptedButUnused(*g));
    POLYTRACE_RETURN_IF_ERROR(g->Finish());
    if (c.max_recv_msg_size_mib == 0) c.max_recv_msg_size_mib = 4;
    grpc = c;
  }
  Result<ConfigReader> h = protocols->Child("http", &has_http);
  if (!h.ok()) return h.status();
  if (has_http) {
    OtlpHttpConfig c;
    POLYTRACE_RETURN_IF_ERROR(h->Read("endpoint", &c.endpoint));
    POLYTRACE_RETURN_IF_ERROR(h->Read("max_request_body_size", &c.max_request_body_size));
    POLYTRACE_RETURN_IF_ERROR(h->Read("traces_url_path", &c.traces_url_path));
    std::string unused_path;
    POLYTRACE_RETURN_IF_ERROR(h->Read("metrics_url_path", &unused_path));
    POLYTRACE_RETURN_IF_ERROR(h->Read("logs_url_path", &unused_path));
    POLYTRACE_RETURN_IF_ERROR(h->Read("include_metadata", &c.include_metadata));
    POLYTRACE_RETURN_IF_ERROR(ReadCors(*h, &c.cors));
    POLYTRACE_RETURN_IF_ERROR(ReadTlsAndAuth(*h, &c));
    POLYTRACE_RETURN_IF_ERROR(ReadAcceptedButUnused(*h));
    POLYTRACE_RETURN_IF_ERROR(h->Finish());
    if (c.max_request_body_size == 0) c.max_request_body_size = 20 << 20;
    http = c;
  }
  POLYTRACE_RETURN_IF_ERROR(protocols->Finish());
  if (!has_grpc && !has_http) {
    return protocols->Error("must specify at least one protocol (grpc or http)");
  }
  return reader.Finish();
}

Status OtlpReceiverConfig::Validate() const {
  if (http && (http->traces_url_path.empty() || http->traces_url_path[0] != '/')) {
    return Status::InvalidArgument(fmt::format(
        "protocols.http.traces_url_path \"{}\" must start with \"/\"", http->traces_url_path));
  }
  return Status::Ok();
}

}  // namespace polytrace

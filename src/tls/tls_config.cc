#include "tls/tls_config.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

namespace polytrace {
namespace {

Status ReadCommon(ConfigReader& r, TlsConfig* c) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("ca_file", &c->ca_file));
  POLYTRACE_RETURN_IF_ERROR(r.Read("ca_pem", &c->ca_pem));
  POLYTRACE_RETURN_IF_ERROR(
      r.Read("include_system_ca_certs_pool", &c->include_system_ca_certs_pool));
  POLYTRACE_RETURN_IF_ERROR(r.Read("cert_file", &c->cert_file));
  POLYTRACE_RETURN_IF_ERROR(r.Read("cert_pem", &c->cert_pem));
  POLYTRACE_RETURN_IF_ERROR(r.Read("key_file", &c->key_file));
  POLYTRACE_RETURN_IF_ERROR(r.Read("key_pem", &c->key_pem));
  POLYTRACE_RETURN_IF_ERROR(r.Read("min_version", &c->min_version));
  POLYTRACE_RETURN_IF_ERROR(r.Read("max_version", &c->max_version));
  POLYTRACE_RETURN_IF_ERROR(r.Read("reload_interval", &c->reload_interval));
  // Go's cipher-suite and curve names have no one-to-one OpenSSL spelling;
  // silently ignoring a hardening setting would be worse than refusing it.
  for (const char* key : {"cipher_suites", "curve_preferences", "tpm_config"}) {
    if (r.Has(key)) {
      return r.KeyError(key,
                        "is not supported by polytrace (OpenSSL's defaults apply: TLS 1.2 "
                        "AEAD suites and TLS 1.3)");
    }
  }
  Status valid = ValidateTlsConfig(*c);
  if (!valid.ok()) return r.Error(valid.message());
  return Status::Ok();
}

}  // namespace

Result<int> ParseTlsVersion(const std::string& text, int fallback) {
  if (text.empty()) return fallback;
  if (text == "1.0") return TLS1_VERSION;
  if (text == "1.1") return TLS1_1_VERSION;
  if (text == "1.2") return TLS1_2_VERSION;
  if (text == "1.3") return TLS1_3_VERSION;
  return Status::InvalidArgument(fmt::format("unsupported TLS version: \"{}\"", text));
}

Status ValidateTlsConfig(const TlsConfig& c) {
  if (!c.ca_file.empty() && !c.ca_pem.empty()) {
    return Status::InvalidArgument("provide either a CA file or the PEM-encoded string, not both");
  }
  if (!c.cert_file.empty() && !c.cert_pem.empty()) {
    return Status::InvalidArgument(
        "provide either a certificate file or the PEM-encoded string, not both");
  }
  if (!c.key_file.empty() && !c.key_pem.empty()) {
    return Status::InvalidArgument("provide either a key file or the PEM-encoded string, not both");
  }
  bool has_key = !c.key_file.empty() || !c.key_pem.empty();
  if (c.HasCertificate() != has_key) {
    return Status::InvalidArgument(
        "for auth via TLS, provide both certificate and key, or neither");
  }
  Result<int> min = ParseTlsVersion(c.min_version, TLS1_2_VERSION);
  if (!min.ok()) return min.status().WithContext("invalid TLS min_version");
  Result<int> max = ParseTlsVersion(c.max_version, TLS1_3_VERSION);
  if (!max.ok()) return max.status().WithContext("invalid TLS max_version");
  if (min.value() > max.value()) {
    return Status::InvalidArgument(
        fmt::format("invalid TLS configuration: min_version {} is greater than max_version {}",
                    c.min_version, c.max_version));
  }
  if (c.reload_interval.count() < 0) {
    return Status::InvalidArgument("reload_interval must not be negative");
  }
  return Status::Ok();
}

Result<std::optional<TlsServerConfig>> ReadTlsServerConfig(ConfigReader& parent) {
  bool present = false;
  Result<ConfigReader> r = parent.Child("tls", &present);
  if (!r.ok()) return r.status();
  if (!present) return std::optional<TlsServerConfig>();
  TlsServerConfig c;
  POLYTRACE_RETURN_IF_ERROR(r->Read("client_ca_file", &c.client_ca_file));
  POLYTRACE_RETURN_IF_ERROR(r->Read("reload_client_ca_file", &c.reload_client_ca_file));
  POLYTRACE_RETURN_IF_ERROR(ReadCommon(*r, &c));
  POLYTRACE_RETURN_IF_ERROR(r->Finish());
  if (!c.HasCertificate()) {
    return r->Error(
        "a TLS server needs a certificate: set cert_file and key_file (or cert_pem "
        "and key_pem)");
  }
  return std::optional<TlsServerConfig>(std::move(c));
}

Status ReadTlsClientConfig(ConfigReader& parent, TlsClientConfig* out) {
  Result<ConfigReader> r = parent.Child("tls");
  if (!r.ok()) return r.status();
  POLYTRACE_RETURN_IF_ERROR(r->Read("insecure", &out->insecure));
  POLYTRACE_RETURN_IF_ERROR(r->Read("insecure_skip_verify", &out->insecure_skip_verify));
  POLYTRACE_RETURN_IF_ERROR(r->Read("server_name_override", &out->server_name_override));
  POLYTRACE_RETURN_IF_ERROR(ReadCommon(*r, out));
  return r->Finish();
}

}  // namespace polytrace

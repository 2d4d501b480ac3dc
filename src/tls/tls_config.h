// TLS settings, field for field the Collector's config/configtls: the same
// keys, defaults and meaning, for servers (receivers, the query API, the
// telemetry endpoint) and clients (exporters).
//
//   tls:
//     cert_file: server.crt      # or cert_pem: inline
//     key_file: server.key       # or key_pem
//     client_ca_file: ca.crt     # server: require and verify client certs
//     ca_file: ca.crt            # client: trust these instead of the system's
//     min_version: "1.2"         # "1.0" ... "1.3"; default 1.2, as the Collector
//     max_version: "1.3"         # default: the highest the library supports
//     reload_interval: 1h        # re-read changed files without a restart
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/config_reader.h"
#include "core/status.h"

namespace polytrace {

// configtls.Config: what servers and clients share.
struct TlsConfig {
  std::string ca_file;
  std::string ca_pem;
  bool include_system_ca_certs_pool = false;
  std::string cert_file;
  std::string cert_pem;
  std::string key_file;
  std::string key_pem;
  std::string min_version;                      // "" means 1.2
  std::string max_version;                      // "" means the highest supported (1.3)
  std::chrono::nanoseconds reload_interval{0};  // 0: files read once, at start

  bool HasCertificate() const { return !cert_file.empty() || !cert_pem.empty(); }
  bool HasCa() const { return !ca_file.empty() || !ca_pem.empty(); }
};

// configtls.ServerConfig.
struct TlsServerConfig : TlsConfig {
  std::string client_ca_file;  // set: mutual TLS, a verified client certificate is required
  bool reload_client_ca_file = false;
};

// configtls.ClientConfig.
struct TlsClientConfig : TlsConfig {
  bool insecure = false;              // gRPC: plaintext; HTTP: the URL's scheme decides
  bool insecure_skip_verify = false;  // TLS without verifying the server's certificate
  std::string server_name_override;   // SNI and the name the certificate must carry
};

// A TLS protocol version as OpenSSL numbers it (TLS1_2_VERSION...), from the
// Collector's spelling ("1.2"); `fallback` for "".
Result<int> ParseTlsVersion(const std::string& text, int fallback);

// Reads `tls:` below `parent`; nullopt when the key is absent (plaintext).
// Validates as the Collector does: a certificate needs its key, a file or
// a PEM but not both, known versions with min <= max.
Result<std::optional<TlsServerConfig>> ReadTlsServerConfig(ConfigReader& parent);
// Reads `tls:` below `parent` into `out` (defaults kept when absent).
Status ReadTlsClientConfig(ConfigReader& parent, TlsClientConfig* out);

Status ValidateTlsConfig(const TlsConfig& config);

}  // namespace polytrace

// Configuration of the `otlp` receiver, field for field the Collector's
// (receiver/otlpreceiver): a protocol is enabled when its key is present.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/component_config.h"
#include "tls/tls_config.h"

namespace polytrace {

struct CorsConfig {
  std::vector<std::string> allowed_origins;  // "https://*.example.com" wildcards allowed
  std::vector<std::string> allowed_headers;
  int max_age = 0;  // seconds; 0 leaves Access-Control-Max-Age out
};

struct OtlpHttpConfig {
  std::string endpoint = "localhost:4318";
  uint64_t max_request_body_size = 20 << 20;  // also enforced after decompression
  std::string traces_url_path = "/v1/traces";
  CorsConfig cors;
  bool include_metadata = false;
  std::optional<TlsServerConfig> tls;  // set: HTTPS only
  std::string authenticator;           // auth.authenticator: a server authenticator extension
};

struct OtlpGrpcConfig {
  std::string endpoint = "localhost:4317";
  uint64_t max_recv_msg_size_mib = 4;   // gRPC's own default when unset
  uint32_t max_concurrent_streams = 0;  // 0: 128 (HttpServerOptions)
  bool include_metadata = false;
  std::optional<TlsServerConfig> tls;  // set: TLS only
  std::string authenticator;           // auth.authenticator: a server authenticator extension
};

class OtlpReceiverConfig : public ComponentConfig {
 public:
  std::optional<OtlpGrpcConfig> grpc;
  std::optional<OtlpHttpConfig> http;

  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

}  // namespace polytrace

// The `otlp` exporter: OTLP/gRPC (TraceService/Export) through a generic
// stub, gzip by default, with the exporterhelper's queue and retries. gRPC
// codes map per the OTLP spec; a RetryInfo detail sets the retry delay.
#pragma once

#include <map>

#include "exporters/exporterhelper/queued_exporter.h"
#include "tls/tls_config.h"

namespace polytrace {

class OtlpGrpcExporterConfig : public ComponentConfig {
 public:
  std::string endpoint;
  std::map<std::string, std::string> headers;
  std::string compression = "gzip";
  TlsClientConfig tls;        // tls.insecure false: TLS, the Collector's default
  std::string authenticator;  // auth.authenticator: a client authenticator extension
  std::string balancer_name;
  ExporterHelperConfig helper;

  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

std::unique_ptr<ExporterFactory> NewOtlpExporterFactory();

// Reads google.rpc.RetryInfo's delay from grpc-status-details-bin bytes.
std::optional<std::chrono::milliseconds> RetryDelayFromStatusDetails(std::string_view details);

}  // namespace polytrace

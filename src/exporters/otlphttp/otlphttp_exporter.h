// The `otlphttp` exporter: OTLP/HTTP (protobuf or JSON, gzip by default) to
// any OTLP backend — another polytrace, an otelcol, a vendor — with the
// exporterhelper's queue and retries. Response handling follows the OTLP
// spec: 2xx is success (partial_success is logged), 429/502/503/504 are
// retried honouring Retry-After, other statuses are permanent.
#pragma once

#include <map>
#include <memory>

#include "exporters/exporterhelper/queued_exporter.h"
#include "net/http_client.h"

namespace polytrace {

class OtlpHttpExporterConfig : public ComponentConfig {
 public:
  std::string endpoint;
  std::string traces_endpoint;
  std::map<std::string, std::string> headers;
  std::string compression = "gzip";
  std::string encoding = "proto";
  TlsClientConfig tls;
  std::string authenticator;  // auth.authenticator: a client authenticator extension
  ExporterHelperConfig helper;

  OtlpHttpExporterConfig() { helper.timeout = std::chrono::seconds(30); }
  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
  // endpoint + "/v1/traces", or traces_endpoint as given.
  std::string TracesUrl() const;
};

std::unique_ptr<ExporterFactory> NewOtlpHttpExporterFactory();

// Maps an OTLP/HTTP response to a Status (exposed for tests).
Status InterpretOtlpHttpResponse(const HttpClientResponse& response);

}  // namespace polytrace

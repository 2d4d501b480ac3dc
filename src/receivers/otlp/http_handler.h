// The OTLP/HTTP endpoint (POST /v1/traces), answering exactly as the OTLP
// specification says: 200 with an ExportTraceServiceResponse in the
// request's encoding (partial_success when spans were rejected), 400 with a
// google.rpc.Status naming what is wrong and where, 404/405/413/415, and
// 429/503 with Retry-After when the pipeline refuses under pressure.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "net/http_server.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/ingest.h"

namespace polytrace {

class OtlpHttpHandler {
 public:
  OtlpHttpHandler(OtlpHttpConfig config, Ingest* ingest, std::shared_ptr<spdlog::logger> log);
  HttpResponse Handle(HttpRequest& request);

 private:
  HttpResponse HandleExport(HttpRequest& request, bool json);
  // A refusal: 400 when permanent, else 429 / 503 with Retry-After.
  HttpResponse Refused(const Status& st, bool json) const;
  HttpResponse Preflight(const HttpRequest& request);
  void AddCors(const HttpRequest& request, HttpResponse* response) const;
  bool OriginAllowed(std::string_view origin) const;

  OtlpHttpConfig config_;
  Ingest* ingest_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace polytrace

// Ingest: what both OTLP transports do once a request is decoded — drop
// invalid spans (reported as partial success), hand the rest to the
// pipeline, and count accepted / refused spans per transport.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/admission.h"
#include "core/traces.h"
#include "pipeline/consumer.h"
#include "telemetry/metrics.h"

namespace polytrace {

struct IngestOutcome {
  Status status;  // the pipeline's answer (retryable refusals included)
  int64_t rejected_spans = 0;
  std::string error_message;  // partial_success.error_message
};

class Ingest {
 public:
  // `admission` may be null (no memory_limiter: everything is admitted).
  Ingest(TracesConsumer* next, MetricsRegistry& metrics, const std::string& receiver,
         const std::string& transport, AdmissionGate* admission = nullptr,
         std::shared_ptr<spdlog::logger> log = nullptr);

  // Reserves what decoding a request of `bytes` will cost, before decoding
  // it; hold the ticket until Consume returns. Refusals are counted.
  Result<AdmissionGate::Ticket> Admit(size_t bytes, bool json);
  // Reserves `bytes` as they are (e.g. what decompression may produce).
  Result<AdmissionGate::Ticket> AdmitBytes(uint64_t bytes);

  // Decodes an OTLP protobuf request whose bytes `traces` has adopted, or,
  // when nothing downstream reads spans (TracesConsumer::NeedsSpans), only
  // checks it and leaves it undecoded. The error names what and where.
  Status DecodeProto(std::string_view bytes, Traces* traces);
  // Decodes an OTLP/JSON request whose bytes `traces` has adopted.
  Status DecodeJson(std::string_view bytes, Traces* traces);
  IngestOutcome Consume(Traces traces);
  // A request that could not be decoded (reason: "decode", "too_large", ...).
  void CountBadRequest(const std::string& reason);

 private:
  // A request in OTLP before 0.19 (instrumentation_library_spans): counted,
  // its translated scopes marked (kInstrumentationLibraryAttribute), and
  // each sending service named once in the log with what to upgrade.
  void NoteLibrarySpans(Traces& traces);

  TracesConsumer* next_;
  MetricsRegistry& metrics_;
  AdmissionGate* admission_;
  Labels labels_;
  Counter& accepted_;
  Counter& refused_;
  Counter& invalid_;
  Counter& library_spans_requests_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex named_mu_;
  std::set<std::string> named_services_;  // guarded by named_mu_; bounded
};

}  // namespace polytrace

#include "receivers/otlp/ingest.h"

#include "otlp/decode_budget.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "otlp/validation.h"

namespace polytrace {

Ingest::Ingest(TracesConsumer* next, MetricsRegistry& metrics, const std::string& receiver,
               const std::string& transport, AdmissionGate* admission,
               std::shared_ptr<spdlog::logger> log)
    : next_(next),
      metrics_(metrics),
      admission_(admission),
      labels_{{"receiver", receiver}, {"transport", transport}},
      accepted_(metrics.GetCounter("otelcol_receiver_accepted_spans",
                                   "Spans successfully pushed into the pipeline.", labels_)),
      refused_(metrics.GetCounter("otelcol_receiver_refused_spans",
                                  "Spans that could not be pushed into the pipeline.", labels_)),
      invalid_(metrics.GetCounter("polytrace_receiver_invalid_spans",
                                  "Spans rejected as invalid (reported as partial success).",
                                  labels_)),
      library_spans_requests_(metrics.GetCounter(
          "polytrace_receiver_deprecated_otlp_requests",
          "Requests in OTLP before 0.19 (instrumentation_library_spans), read as scope_spans.",
          labels_)),
      log_(std::move(log)) {}

Result<AdmissionGate::Ticket> Ingest::Admit(size_t bytes, bool json) {
  if (admission_ == nullptr) return AdmissionGate::Ticket();
  // A protobuf request forwarded undecoded costs only its bytes (scanned).
  uint64_t cost = !json && !next_->NeedsSpans() ? bytes : otlp::DecodeCost(bytes, json);
  return AdmitBytes(cost);
}

Result<AdmissionGate::Ticket> Ingest::AdmitBytes(uint64_t bytes) {
  if (admission_ == nullptr) return AdmissionGate::Ticket();
  Result<AdmissionGate::Ticket> ticket = admission_->Admit(bytes);
  if (!ticket.ok()) CountBadRequest("memory_limit");
  return ticket;
}

Status Ingest::DecodeProto(std::string_view bytes, Traces* traces) {
  if (!next_->NeedsSpans()) {
    otlp::TracesScan scan;
    if (Status st = otlp::ScanTracesProto(bytes, &scan); !st.ok()) return st;
    if (!scan.has_invalid_ids && !scan.used_library_spans) {
      traces->SetUndecoded(bytes, scan.spans, &otlp::DecodeTracesProto);
      return Status::Ok();
    }
    // Spans to reject, or old field names to translate: decode, so that
    // Consume can name and remove them and exporters encode scope_spans.
  }
  otlp::TracesScan info;
  if (Status st = otlp::DecodeTracesProto(bytes, traces, &info); !st.ok()) return st;
  if (info.used_library_spans) {
    NoteLibrarySpans(*traces);  // the bytes say instrumentation_library_spans: not forwarded
  } else {
    traces->SetWire(bytes);
  }
  return Status::Ok();
}

Status Ingest::DecodeJson(std::string_view bytes, Traces* traces) {
  bool used_library_spans = false;
  if (Status st = otlp::DecodeTracesJson(bytes, traces, &used_library_spans); !st.ok()) return st;
  if (used_library_spans) NoteLibrarySpans(*traces);
  return Status::Ok();
}

void Ingest::NoteLibrarySpans(Traces& traces) {
  library_spans_requests_.Add(1);
  // Marked on the scope, so the trace analysis can name the service later.
  for (ResourceSpans& rs : traces.resource_spans()) {
    for (ScopeSpans& ss : rs.scope_spans) {
      if (!ss.from_instrumentation_library) continue;
      ss.scope.attributes.Append(traces.arena(),
                                 {kInstrumentationLibraryAttribute, AnyValue::Bool(true)});
    }
  }
  if (!log_) return;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    auto text = [&](std::string_view key) {
      const AnyValue* v = FindAttribute(rs.resource.attributes, key);
      return v != nullptr && v->type == ValueType::kString ? std::string(v->string_value)
                                                           : std::string("?");
    };
    std::string service = text("service.name");
    {
      std::lock_guard<std::mutex> lock(named_mu_);
      if (named_services_.size() >= 1000 || !named_services_.insert(service).second) continue;
    }
    log_->warn(
        "service \"{}\" ({} SDK {}) sends OTLP older than 0.19 (instrumentation_library_spans, "
        "removed in OTLP 1.0): its spans are read as scope_spans; upgrade its OpenTelemetry SDK",
        service, text("telemetry.sdk.language"), text("telemetry.sdk.version"));
  }
}

IngestOutcome Ingest::Consume(Traces traces) {
  IngestOutcome out;
  // An undecoded batch was scanned: it has no invalid span to remove.
  otlp::Rejection rejection;
  if (traces.decoded()) rejection = otlp::RemoveInvalidSpans(&traces);
  out.rejected_spans = rejection.rejected_spans;
  out.error_message = std::move(rejection.error_message);
  invalid_.Add(static_cast<uint64_t>(rejection.rejected_spans));
  size_t spans = traces.SpanCount();
  if (spans == 0) return out;
  out.status = next_->ConsumeTraces(std::move(traces));
  (out.status.ok() ? accepted_ : refused_).Add(spans);
  return out;
}

void Ingest::CountBadRequest(const std::string& reason) {
  Labels labels = labels_;
  labels.emplace_back("reason", reason);
  metrics_
      .GetCounter("polytrace_receiver_bad_requests",
                  "Requests that could not be decoded or were refused before decoding.", labels)
      .Add();
}

}  // namespace polytrace

#include "query/trace_answer.h"

#include <fmt/format.h>

#include <string>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"
#include "query/jaeger/jaeger_json.h"
#include "query/trace_columns.h"
#include "query/trace_pieces.h"

namespace polytrace::query {
namespace {

std::string ContentType(TraceForm form) {
  if (form == TraceForm::kColumns) return std::string(kTraceColumnsMediaType);
  return IsProto(form) ? "application/protobuf" : "application/json";
}

// The answer in one body, from a trace read whole.
std::string WholeBody(const Traces& trace, TraceForm form) {
  switch (form) {
    case TraceForm::kOtlpProto: return otlp::EncodeTracesProto(trace);
    case TraceForm::kTempoV2Proto: {
      std::string body;
      otlp::wire::PutBytes(&body, 1, otlp::EncodeTracesProto(trace));
      return body;
    }
    case TraceForm::kTempoV2Json:
      return fmt::format(R"({{"trace":{}}})", otlp::EncodeTracesJson(trace));
    case TraceForm::kJaegerV3Json:
      return fmt::format(R"({{"result":{}}})", otlp::EncodeTracesJson(trace));
    case TraceForm::kJaegerJson: {
      JsonWriter w;
      w.Reserve(1024 * trace.SpanCount() + 1024);  // about a KiB a span: no regrowth
      OpenJaegerEnvelope(w);
      w.BeginArray();
      WriteJaegerTrace(AssembleTrace(trace), w);
      w.EndArray();
      return CloseJaegerEnvelope(w, kJaegerTotalNotCounted);
    }
    case TraceForm::kColumns: {
      std::string body;
      TraceColumnsEncoder columns;
      columns.Head(trace.resource_spans()[0].scope_spans[0].spans[0].trace_id, FirstStart(trace),
                   &body);
      columns.Piece(trace, &body);
      columns.End(&body);
      return body;
    }
  }
  return {};
}

}  // namespace

Result<std::optional<HttpResponse>> AnswerTrace(const store::Store& store, const TraceId& id,
                                                TraceForm form, AnswerBudget* budget,
                                                size_t piece_spans) {
  std::unique_ptr<store::TraceReader> reader = store.ReadTrace(id, piece_spans);
  Traces first;
  Result<bool> found = reader->Next(&first);
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<HttpResponse>();
  std::string content_type = ContentType(form);
  if (reader->done()) {
    return std::optional<HttpResponse>(
        HttpResponse::WithBody(200, std::move(content_type), WholeBody(first, form)));
  }
  Result<AnswerBudget::Slot> slot = AnswerBudget::TakeFrom(budget);
  if (!slot.ok()) return slot.status();
  reader->Rewind();
  auto writer = std::make_shared<TracePieceWriter>(std::move(reader), form, id);
  if (Status s = writer->Prepare(); !s.ok()) return s;
  return std::optional<HttpResponse>(
      HttpResponse::Streamed(200, std::move(content_type),
                             [writer, slot = *slot](std::string* out) { return (*writer)(out); }));
}

}  // namespace polytrace::query

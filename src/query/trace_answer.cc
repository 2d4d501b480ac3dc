#include "query/trace_answer.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"
#include "query/jaeger/jaeger_json.h"
#include "query/trace_columns.h"

namespace polytrace::query {
namespace {

bool IsProto(TraceForm form) {
  return form == TraceForm::kOtlpProto || form == TraceForm::kTempoV2Proto;
}

std::string ContentType(TraceForm form) {
  if (form == TraceForm::kColumns) return std::string(kTraceColumnsMediaType);
  return IsProto(form) ? "application/protobuf" : "application/json";
}

// The earliest start in `piece` (the columns' time base).
uint64_t FirstStart(const Traces& piece) {
  uint64_t first = UINT64_MAX;
  for (const ResourceSpans& rs : piece.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& s : ss.spans) first = std::min(first, s.start_time_unix_nano);
    }
  }
  return first == UINT64_MAX ? 0 : first;
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
      return CloseJaegerEnvelope(w, 1);
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

// A trace bigger than a piece, written a piece per call as the client
// takes them: the opening, each piece's spans, the closing.
class PieceWriter {
 public:
  PieceWriter(std::unique_ptr<store::TraceReader> reader, TraceForm form, const TraceId& id)
      : reader_(std::move(reader)), form_(form), id_(id) {}

  // What must see the whole trace before the first byte: Jaeger's span IDs
  // (orphans), the protobuf answer's length. Then from the first piece.
  Status Prepare() {
    if (form_ == TraceForm::kJaegerJson) {
      // Sorted, not hashed: 8 bytes a span (a million spans' hash set was 16 MiB).
      std::vector<std::pair<SpanId, SpanId>> ids;
      for (;;) {
        ids.clear();
        Result<bool> more = reader_->NextIds(&ids);
        if (!more.ok()) return more.status();
        if (!*more) break;
        for (const auto& [span, parent] : ids) span_ids_.push_back(span.Key());
      }
      std::sort(span_ids_.begin(), span_ids_.end());
      for (size_t i = 1; i < span_ids_.size(); ++i) {
        if (span_ids_[i] == span_ids_[i - 1]) duplicated_.insert(span_ids_[i]);
      }
    }
    if (form_ == TraceForm::kTempoV2Proto) {
      Traces piece;
      for (;;) {
        Result<bool> more = reader_->Next(&piece);
        if (!more.ok()) return more.status();
        if (!*more) break;
        proto_bytes_ += otlp::TracesProtoSize(piece);
      }
    }
    reader_->Rewind();
    return Status::Ok();
  }

  BodyStep operator()(std::string* out) {
    Result<bool> more = reader_->Next(&piece_);
    if (!more.ok()) return BodyStep::kFailed;  // the client sees the body cut short
    if (!opened_) {
      Open(out);  // after the first piece: the columns take their time base from it
      opened_ = true;
    }
    if (!*more) {
      Close(out);
      return BodyStep::kDone;
    }
    Write(out);
    return BodyStep::kMore;
  }

 private:
  void Flush(std::string* out) {
    out->append(w_.str());
    w_.str().clear();
  }

  void Open(std::string* out) {
    switch (form_) {
      case TraceForm::kColumns: return columns_.Head(id_, FirstStart(piece_), out);
      case TraceForm::kOtlpProto: return;
      case TraceForm::kTempoV2Proto:
        otlp::wire::PutTag(out, 1, otlp::wire::kLen);
        otlp::wire::PutVarint(out, proto_bytes_);
        return;
      case TraceForm::kTempoV2Json:
      case TraceForm::kJaegerV3Json:
        w_.BeginObject();
        w_.Key(form_ == TraceForm::kTempoV2Json ? "trace" : "result");
        w_.BeginObject();
        w_.Key("resourceSpans");
        w_.BeginArray();
        return Flush(out);
      case TraceForm::kJaegerJson:
        w_.BeginObject();
        w_.Key("data");
        w_.BeginArray();
        w_.BeginObject();
        w_.Key("traceID");
        w_.String(JaegerTraceIdHex(id_));
        w_.Key("spans");
        w_.BeginArray();
        return Flush(out);
    }
  }

  void Write(std::string* out) {
    if (form_ == TraceForm::kColumns) return columns_.Piece(piece_, out);
    if (IsProto(form_)) return otlp::EncodeTracesProto(piece_, out);
    if (form_ != TraceForm::kJaegerJson) {
      otlp::WriteResourceSpansJson(piece_, w_);
      return Flush(out);
    }
    AssembledTrace assembled = AssembleTrace(piece_);
    for (AssembledSpan& a : assembled.spans) {
      const Span& s = *a.span;
      a.orphan = !s.parent_span_id.IsZero() &&
                 (s.parent_span_id == s.span_id ||
                  !std::binary_search(span_ids_.begin(), span_ids_.end(), s.parent_span_id.Key()));
      a.duplicate =
          duplicated_.contains(s.span_id.Key()) && !duplicates_met_.insert(s.span_id.Key()).second;
      WriteJaegerSpan(a, processes_.IdOf(*a.resource), w_);
    }
    processes_.ForgetAddresses();  // the next piece reuses piece_'s memory
    Flush(out);
  }

  void Close(std::string* out) {
    switch (form_) {
      case TraceForm::kColumns: return columns_.End(out);
      case TraceForm::kOtlpProto:
      case TraceForm::kTempoV2Proto: return;
      case TraceForm::kTempoV2Json:
      case TraceForm::kJaegerV3Json:
        w_.EndArray();
        w_.EndObject();
        w_.EndObject();
        return Flush(out);
      case TraceForm::kJaegerJson:
        w_.EndArray();  // spans
        w_.Key("processes");
        processes_.Write(w_);
        w_.Key("warnings");
        w_.Null();
        w_.EndObject();
        w_.EndArray();  // data
        w_.Key("total");
        w_.Int(1);
        w_.Key("limit");
        w_.Int(0);
        w_.Key("offset");
        w_.Int(0);
        w_.Key("errors");
        w_.Null();
        w_.EndObject();
        return Flush(out);
    }
  }

  std::unique_ptr<store::TraceReader> reader_;
  const TraceForm form_;
  const TraceId id_;
  bool opened_ = false;
  Traces piece_;
  JsonWriter w_;  // keeps the JSON's nesting across pieces
  uint64_t proto_bytes_ = 0;
  JaegerProcesses processes_;
  TraceColumnsEncoder columns_;
  std::vector<uint64_t> span_ids_;  // every span's, sorted (Jaeger JSON)
  absl::flat_hash_set<uint64_t> duplicated_, duplicates_met_;
};

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
  auto writer = std::make_shared<PieceWriter>(std::move(reader), form, id);
  if (Status s = writer->Prepare(); !s.ok()) return s;
  return std::optional<HttpResponse>(
      HttpResponse::Streamed(200, std::move(content_type),
                             [writer, slot = *slot](std::string* out) { return (*writer)(out); }));
}

}  // namespace polytrace::query

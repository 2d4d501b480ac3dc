#include "query/trace_pieces.h"

#include <algorithm>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"

namespace polytrace::query {

uint64_t FirstStart(const Traces& piece) {
  uint64_t first = UINT64_MAX;
  for (const ResourceSpans& rs : piece.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& s : ss.spans) first = std::min(first, s.start_time_unix_nano);
    }
  }
  return first == UINT64_MAX ? 0 : first;
}

Status TracePieceWriter::Prepare() {
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

BodyStep TracePieceWriter::operator()(std::string* out) {
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

void TracePieceWriter::Flush(std::string* out) {
  out->append(w_.str());
  w_.str().clear();
}

void TracePieceWriter::Open(std::string* out) {
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
      if (in_envelope_) {
        OpenJaegerEnvelope(w_);
        w_.BeginArray();
      }
      w_.BeginObject();
      w_.Key("traceID");
      w_.String(JaegerTraceIdHex(id_));
      w_.Key("spans");
      w_.BeginArray();
      return Flush(out);
  }
}

void TracePieceWriter::Write(std::string* out) {
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

void TracePieceWriter::Close(std::string* out) {
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
      if (!in_envelope_) return Flush(out);
      w_.EndArray();  // data
      out->append(CloseJaegerEnvelope(w_, kJaegerTotalNotCounted));
      return;
  }
}

}  // namespace polytrace::query

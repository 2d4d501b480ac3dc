#include "query/trace_answer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
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
// takes them: the opening, each piece's spans, the closing. In Jaeger's form
// without `in_envelope`, the trace's object alone (one of several traces in
// an answer).
class PieceWriter {
 public:
  PieceWriter(std::unique_ptr<store::TraceReader> reader, TraceForm form, const TraceId& id,
              bool in_envelope = true)
      : reader_(std::move(reader)), form_(form), id_(id), in_envelope_(in_envelope) {}

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
  // After Prepare, in Jaeger's form: the trace's spans (0: none stored).
  size_t spans() const { return span_ids_.size(); }

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
        if (!in_envelope_) return Flush(out);
        w_.EndArray();  // data
        out->append(CloseJaegerEnvelope(w_, 1));
        return;
    }
  }

  std::unique_ptr<store::TraceReader> reader_;
  const TraceForm form_;
  const TraceId id_;
  const bool in_envelope_;
  bool opened_ = false;
  Traces piece_;
  JsonWriter w_;  // keeps the JSON's nesting across pieces
  uint64_t proto_bytes_ = 0;
  JaegerProcesses processes_;
  TraceColumnsEncoder columns_;
  std::vector<uint64_t> span_ids_;  // every span's, sorted (Jaeger JSON)
  absl::flat_hash_set<uint64_t> duplicated_, duplicates_met_;
};

// Jaeger's answer of several traces by ID, streamed: the envelope, then
// each trace a piece per call (a PieceWriter of its own, one at a time),
// then the total and the IDs not found. As a search's answer, it holds at
// most `max_spans` spans: the traces past them are left out.
class JaegerTracesWriter {
 public:
  JaegerTracesWriter(const store::Store& store, std::vector<TraceId> ids, size_t piece_spans,
                     size_t max_spans)
      : store_(store), ids_(std::move(ids)), piece_spans_(piece_spans), max_spans_(max_spans) {}

  // Opens the first trace stored, before the answer's status is known.
  Status Start() { return OpenNext(); }
  // When the first trace stored alone has more than max_spans spans.
  const std::optional<TraceId>& first_too_big() const { return first_too_big_; }

  BodyStep operator()(std::string* out) {
    if (!opened_) {
      OpenJaegerEnvelope(w_);
      w_.BeginArray();
      out->append(w_.Take());
      opened_ = true;
    }
    if (trace_ == nullptr) {
      out->push_back(']');
      out->append(CloseJaegerEnvelope(w_, handed_on_, not_found_));
      return BodyStep::kDone;
    }
    if (trace_begins_ && handed_on_++ > 0) out->push_back(',');
    trace_begins_ = false;
    BodyStep step = (*trace_)(out);
    if (step == BodyStep::kFailed) return step;
    if (step == BodyStep::kDone && !OpenNext().ok()) return BodyStep::kFailed;
    return BodyStep::kMore;
  }

 private:
  // Opens the next trace asked that is stored (none: trace_ null), naming
  // the ones that are not, unless it would take the answer past max_spans.
  Status OpenNext() {
    trace_.reset();
    while (next_ < ids_.size()) {
      const TraceId& id = ids_[next_++];
      auto trace = std::make_unique<PieceWriter>(store_.ReadTrace(id, piece_spans_),
                                                 TraceForm::kJaegerJson, id, false);
      POLYTRACE_RETURN_IF_ERROR(trace->Prepare());
      if (trace->spans() == 0) {
        not_found_.push_back(id);
        continue;
      }
      if (spans_ + trace->spans() > max_spans_) {
        if (spans_ == 0) first_too_big_ = id;
        next_ = ids_.size();
        return Status::Ok();
      }
      spans_ += trace->spans();
      trace_ = std::move(trace);
      trace_begins_ = true;
      return Status::Ok();
    }
    return Status::Ok();
  }

  const store::Store& store_;
  const std::vector<TraceId> ids_;
  const size_t piece_spans_, max_spans_;
  size_t next_ = 0;  // in ids_: the next trace to open
  bool opened_ = false;
  std::unique_ptr<PieceWriter> trace_;  // the trace being written
  bool trace_begins_ = false;
  size_t handed_on_ = 0, spans_ = 0;
  std::vector<TraceId> not_found_;
  std::optional<TraceId> first_too_big_;
  JsonWriter w_;
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

Result<HttpResponse> AnswerJaegerTraces(const store::Store& store, std::span<const TraceId> asked,
                                        AnswerBudget* budget, size_t piece_spans,
                                        size_t max_spans) {
  std::vector<TraceId> ids;  // each once, in the order asked
  std::set<TraceId> seen;
  for (const TraceId& id : asked) {
    if (seen.insert(id).second) ids.push_back(id);
  }
  // A piece's worth in all (almost every asking) is read and answered whole.
  std::vector<store::TraceHit> hits;
  for (const TraceId& id : ids) hits.push_back({id, 0});
  std::set<TraceId> found;
  JsonWriter w;
  OpenJaegerEnvelope(w);
  w.BeginArray();
  Result<FoundTracesRead> read = ReadFoundTraces(
      store, hits, nullptr, std::min(piece_spans, max_spans), [&](const Traces& trace) {
        found.insert(trace.resource_spans()[0].scope_spans[0].spans[0].trace_id);
        WriteJaegerTrace(AssembleTrace(trace), w);
      });
  if (!read.ok()) return read.status();
  if (!read->first_too_big && read->left_out == 0) {
    w.EndArray();
    std::vector<TraceId> not_found;
    for (const TraceId& id : ids) {
      if (!found.contains(id)) not_found.push_back(id);
    }
    return HttpResponse::WithBody(200, "application/json",
                                  CloseJaegerEnvelope(w, read->traces, not_found));
  }
  auto writer = std::make_shared<JaegerTracesWriter>(store, std::move(ids), piece_spans, max_spans);
  POLYTRACE_RETURN_IF_ERROR(writer->Start());
  if (const std::optional<TraceId>& too_big = writer->first_too_big()) {
    return HttpResponse::WithBody(422, "application/json",
                                  JaegerError(422, TooBigForSearch(*too_big, max_spans)));
  }
  Result<AnswerBudget::Slot> slot = AnswerBudget::TakeFrom(budget);
  if (!slot.ok()) return slot.status();
  return HttpResponse::Streamed(
      200, "application/json", [writer, slot = *slot](std::string* out) { return (*writer)(out); });
}

}  // namespace polytrace::query

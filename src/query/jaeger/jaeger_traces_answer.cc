#include "query/jaeger/jaeger_traces_answer.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "query/jaeger/jaeger_json.h"
#include "query/trace_pieces.h"

namespace polytrace::query {
namespace {

// Traces read together at most (a search's hits often share a row group).
constexpr size_t kRunTraces = 256;

// The answer a step at a time: the envelope's opening and the first run
// (read by Start, before the answer's status is known), then each run or
// each piece of a big trace per call, then the envelope's end.
class JaegerTracesWriter {
 public:
  JaegerTracesWriter(const store::Store& store, std::vector<TraceId> ids, store::SearchReads reads,
                     bool name_missing, JaegerTracesLimits limits)
      : store_(store),
        ids_(std::move(ids)),
        reads_(std::move(reads)),
        name_missing_(name_missing),
        limits_(limits) {}

  Status Start() {
    OpenJaegerEnvelope(w_);
    w_.BeginArray();
    return Advance();
  }
  // When the first trace stored alone holds more than max_spans spans.
  const std::optional<TraceId>& first_too_big() const { return first_too_big_; }
  // Whether Start read all of it: the answer can go whole, now.
  bool whole() const { return ended_ && big_ == nullptr; }
  // The answer so far and its end, once whole().
  std::string Close() {
    w_.EndArray();
    return CloseJaegerEnvelope(w_, kJaegerTotalNotCounted, not_found_);
  }

  // The BodyProducer.
  BodyStep operator()(std::string* out) {
    out->append(w_.str());
    w_.str().clear();
    if (big_ != nullptr) {
      BodyStep step = (*big_)(out);
      if (step != BodyStep::kDone) return step;  // more pieces, or cut short
      big_.reset();
    } else if (ended_) {
      out->append(Close());
      return BodyStep::kDone;
    }
    return Advance().ok() ? BodyStep::kMore : BodyStep::kFailed;
  }

 private:
  // Reads the next run of small traces into w_, or opens the next trace
  // bigger than a run (big_), or finds nothing left that fits (ended_).
  Status Advance() {
    const store::SearchReads* reads = reads_.size() == 0 ? nullptr : &reads_;
    while (next_ < ids_.size()) {
      size_t room = std::min(limits_.run_spans, limits_.max_spans - spans_);
      size_t n = std::min(run_traces_, ids_.size() - next_);
      std::span<const TraceId> run = std::span<const TraceId>(ids_).subspan(next_, n);
      Result<std::vector<Traces>> traces = store_.GetTraces(run, reads, room);
      if (traces.status().code() == StatusCode::kResourceExhausted) {
        if (n > 1) {  // fewer at once, down to the one trace too big for a run
          run_traces_ = n / 2;
          continue;
        }
        if (Status st = OpenBig(ids_[next_++]); !st.ok() || big_ != nullptr || ended_) return st;
        continue;  // not stored
      }
      if (!traces.ok()) return traces.status();
      size_t handed_on = handed_on_;
      for (size_t i = 0; i < n; ++i) {
        const Traces& trace = (*traces)[i];
        if (trace.empty()) {
          NotFound(run[i]);
          continue;
        }
        WriteJaegerTrace(AssembleTrace(trace), w_);
        ++handed_on_;
        spans_ += trace.SpanCount();
      }
      next_ += n;
      run_traces_ = std::min(kRunTraces, run_traces_ * 2);
      if (handed_on_ > handed_on) break;  // a run to send (none stored: the next)
    }
    ended_ = next_ >= ids_.size();
    return Status::Ok();
  }

  // A trace too big for a run: written a piece at a time if it fits the
  // answer; past it, the answer ends here.
  Status OpenBig(const TraceId& id) {
    auto trace = std::make_unique<TracePieceWriter>(store_.ReadTrace(id, limits_.piece_spans),
                                                    TraceForm::kJaegerJson, id, false);
    POLYTRACE_RETURN_IF_ERROR(trace->Prepare());
    if (trace->spans() == 0) {
      NotFound(id);
      return Status::Ok();
    }
    if (spans_ + trace->spans() > limits_.max_spans) {
      if (handed_on_ == 0) first_too_big_ = id;
      ended_ = true;
      return Status::Ok();
    }
    w_.Raw("");  // the separator before it, if a trace came before
    ++handed_on_;
    spans_ += trace->spans();
    big_ = std::move(trace);
    return Status::Ok();
  }

  void NotFound(const TraceId& id) {
    if (name_missing_) not_found_.push_back(id);
  }

  const store::Store& store_;
  const std::vector<TraceId> ids_;
  const store::SearchReads reads_;  // the traces found, read whole where the search could
  const bool name_missing_;
  const JaegerTracesLimits limits_;
  size_t next_ = 0;                        // in ids_: the next trace to read
  size_t run_traces_ = kRunTraces;         // traces read at once: halved past run_spans
  std::unique_ptr<TracePieceWriter> big_;  // a trace bigger than a run, being written
  bool ended_ = false;
  size_t handed_on_ = 0, spans_ = 0;
  std::vector<TraceId> not_found_;
  std::optional<TraceId> first_too_big_;
  JsonWriter w_;  // keeps the JSON's nesting across runs
};

}  // namespace

Result<HttpResponse> AnswerJaegerTraces(const store::Store& store, std::vector<TraceId> ids,
                                        store::SearchReads reads, bool name_missing,
                                        AnswerBudget* budget, JaegerTracesLimits limits) {
  auto writer = std::make_shared<JaegerTracesWriter>(store, std::move(ids), std::move(reads),
                                                     name_missing, limits);
  POLYTRACE_RETURN_IF_ERROR(writer->Start());
  if (const std::optional<TraceId>& too_big = writer->first_too_big()) {
    return HttpResponse::WithBody(422, "application/json",
                                  JaegerError(422, TooBigForSearch(*too_big, limits.max_spans)));
  }
  if (writer->whole()) return HttpResponse::WithBody(200, "application/json", writer->Close());
  Result<AnswerBudget::Slot> slot = AnswerBudget::TakeFrom(budget);
  if (!slot.ok()) return slot.status();
  return HttpResponse::Streamed(
      200, "application/json", [writer, slot = *slot](std::string* out) { return (*writer)(out); });
}

}  // namespace polytrace::query

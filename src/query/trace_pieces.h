// A trace written a piece at a time in one of the query API's forms, as
// the client takes the pieces: the opening, each piece's spans, the closing
// (store::TraceReader reads them). A trace of a million spans is held whole
// neither by the store nor in the answer. Used by the trace-by-ID answers
// (query/trace_answer.h) and by Jaeger's answers of several traces, whose
// big traces it writes one by one (query/jaeger/jaeger_traces_answer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/status.h"
#include "net/http_server.h"
#include "otlp/json_writer.h"
#include "query/jaeger/jaeger_json.h"
#include "query/trace_columns.h"
#include "store/engine/store.h"

namespace polytrace::query {

enum class TraceForm {
  kOtlpProto,     // tempopb.Trace: an OTLP TracesData, repeated ResourceSpans = 1
  kTempoV2Proto,  // TraceByIDResponse { Trace trace = 1 }
  kTempoV2Json,   // {"trace": OTLP JSON}
  kJaegerV3Json,  // {"result": OTLP JSON}
  kJaegerJson,    // {"data": [the Jaeger trace], "total": 1, ...}
  kColumns,       // the web UI's typed columns (query/trace_columns.h)
};

inline bool IsProto(TraceForm form) {
  return form == TraceForm::kOtlpProto || form == TraceForm::kTempoV2Proto;
}

// The earliest start in `piece` (the columns' time base).
uint64_t FirstStart(const Traces& piece);

class TracePieceWriter {
 public:
  // In Jaeger's form without `in_envelope`: the trace's object alone (one of
  // several traces in an answer).
  TracePieceWriter(std::unique_ptr<store::TraceReader> reader, TraceForm form, const TraceId& id,
                   bool in_envelope = true)
      : reader_(std::move(reader)), form_(form), id_(id), in_envelope_(in_envelope) {}

  // What must see the whole trace before the first byte: Jaeger's span IDs
  // (orphans), the protobuf answer's length. Then from the first piece.
  Status Prepare();
  // After Prepare, in Jaeger's form: the trace's spans (0: none stored).
  size_t spans() const { return span_ids_.size(); }
  // The next piece (the opening before the first, the closing after the last).
  BodyStep operator()(std::string* out);

 private:
  void Flush(std::string* out);
  void Open(std::string* out);
  void Write(std::string* out);
  void Close(std::string* out);

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

}  // namespace polytrace::query

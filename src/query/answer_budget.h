// The memory the query API's answers hold while they wait for their
// clients. A streamed answer (a trace of more than one piece, a Jaeger
// answer of several traces longer than a run) keeps its reader and state
// until the client has read the last byte (about 24 MiB for a million-span
// trace in Jaeger JSON), and an answer made whole keeps its body (a Jaeger
// run is at most ~10 MB) — each for as long as a client that stopped
// reading keeps its connection (the read timeout, per piece). Unbounded, 300
// such clients held 4.8 GB (streamed) and 60 held 6.9 GB (a 90,000-span
// trace by traceID=, then made whole), and a few hundred more would take the
// machine's memory. Past the budget an answer is refused with a retryable
// status (503 and Retry-After); answers under 1 MiB sent whole need no part
// of it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "core/status.h"
#include "net/http_server.h"

namespace polytrace::query {

class AnswerBudget {
 public:
  static constexpr size_t kDefaultBytes = size_t{512} << 20;
  // What a streamed answer counts as (its reader, its state, a piece): the
  // budget takes sixteen of them.
  static constexpr size_t kStreamedAnswerBytes = size_t{32} << 20;
  // Answers made whole above this size hold a part of the budget while they
  // are sent (and are sent in pieces: see HoldWhileSent).
  static constexpr size_t kHeldWholeAbove = size_t{1} << 20;

  explicit AnswerBudget(size_t capacity_bytes = kDefaultBytes);

  // Held while its answer is sent; released when the last copy is destroyed
  // (the answer's producer goes when it ends or its client goes).
  using Slot = std::shared_ptr<void>;
  // `bytes` of the budget, or Unavailable naming it when they do not fit.
  Result<Slot> Take(size_t bytes = kStreamedAnswerBytes);
  // A streamed answer's part of `budget`, or no slot when there is none.
  static Result<Slot> TakeFrom(AnswerBudget* budget) {
    return budget ? budget->Take() : Result<Slot>(Slot());
  }
  // `answer`, if it is a body made whole over kHeldWholeAbove, as a streamed
  // answer of the same bytes holding their size of the budget until sent;
  // Unavailable when they do not fit. Other answers come back unchanged.
  Result<HttpResponse> HoldWhileSent(HttpResponse answer);

  size_t in_use() const { return state_->used.load(); }
  size_t capacity() const { return state_->capacity; }

 private:
  struct State {
    std::atomic<size_t> used{0};
    size_t capacity = 0;
  };
  // Shared with every slot: a slot may outlive this object (an answer still
  // being written while the API is torn down).
  std::shared_ptr<State> state_;
};

// An answer that failed with `st`, in the API's own error form (`make`:
// code and message to response): 503 with Retry-After for a retryable
// refusal (no room in the budget, the store not open), 500 otherwise.
template <typename MakeError>
HttpResponse FailedAnswer(const Status& st, MakeError make) {
  bool later = st.code() == StatusCode::kUnavailable;
  HttpResponse r = make(later ? 503 : 500, st.message());
  if (later) r.SetHeader("Retry-After", "1");
  return r;
}

}  // namespace polytrace::query

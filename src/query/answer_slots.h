// How many answers the query API streams at once. A streamed answer (a
// trace of more than one piece, a Jaeger search of more than 256 traces)
// keeps its reader and its state until the client has read the last byte:
// 20-30 MiB for a million-span trace in Jaeger JSON (its span IDs, the
// pieces read and encoded), held as long as a client that stopped reading
// keeps its connection (the read timeout, per piece). Unbounded, 50 such
// clients held 1.3 GB and a few hundred would take the machine's memory;
// past the bound a streamed answer is refused with a retryable status
// (503 and Retry-After), and every other answer is served as before.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "core/status.h"
#include "net/http_server.h"

namespace polytrace::query {

class AnswerSlots {
 public:
  // Sixteen streamed answers of million-span traces in Jaeger JSON held by
  // clients that stopped reading: about 400 MiB.
  static constexpr size_t kDefaultCapacity = 16;
  explicit AnswerSlots(size_t capacity = kDefaultCapacity);

  // Held while its answer is streamed; released when the last copy is
  // destroyed (the answer's producer goes when it ends or its client goes).
  using Slot = std::shared_ptr<void>;
  // A slot, or Unavailable naming the bound when all are taken.
  Result<Slot> Take();
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
// refusal (no slot free, the store not open), 500 otherwise.
template <typename MakeError>
HttpResponse FailedAnswer(const Status& st, MakeError make) {
  bool later = st.code() == StatusCode::kUnavailable;
  HttpResponse r = make(later ? 503 : 500, st.message());
  if (later) r.SetHeader("Retry-After", "1");
  return r;
}

}  // namespace polytrace::query

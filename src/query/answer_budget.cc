#include "query/answer_budget.h"

#include <fmt/format.h>

#include <algorithm>

namespace polytrace::query {

AnswerBudget::AnswerBudget(size_t capacity_bytes) : state_(std::make_shared<State>()) {
  state_->capacity = capacity_bytes;
}

Result<AnswerBudget::Slot> AnswerBudget::Take(size_t bytes) {
  size_t used = state_->used.load();
  do {
    if (used + bytes > state_->capacity) {
      return Status::Unavailable(fmt::format(
          "answers waiting for their clients hold {} MiB of the {} MiB they may; retry shortly",
          used >> 20, state_->capacity >> 20));
    }
  } while (!state_->used.compare_exchange_weak(used, used + bytes));
  // The deleter gives the bytes back; the pointer itself is never read.
  return Slot(state_.get(), [state = state_, bytes](void*) { state->used.fetch_sub(bytes); });
}

Result<HttpResponse> AnswerBudget::HoldWhileSent(HttpResponse answer) {
  if (answer.stream || answer.body.size() <= kHeldWholeAbove) return answer;
  Result<Slot> slot = Take(answer.body.size());
  if (!slot.ok()) return slot.status();
  // Sent a MiB at a time: the producer's end (or its client's) frees the
  // body and its part of the budget together.
  struct Held {
    std::string body;
    size_t sent = 0;
    Slot slot;
  };
  auto held = std::make_shared<Held>(Held{std::move(answer.body), 0, std::move(*slot)});
  answer.body.clear();
  answer.stream = [held](std::string* out) {
    size_t n = std::min(kHeldWholeAbove, held->body.size() - held->sent);
    out->append(held->body, held->sent, n);
    held->sent += n;
    return held->sent < held->body.size() ? BodyStep::kMore : BodyStep::kDone;
  };
  return answer;
}

}  // namespace polytrace::query

#include "query/answer_slots.h"

#include <fmt/format.h>

namespace polytrace::query {

AnswerSlots::AnswerSlots(size_t capacity) : state_(std::make_shared<State>()) {
  state_->capacity = capacity;
}

Result<AnswerSlots::Slot> AnswerSlots::Take() {
  size_t used = state_->used.load();
  do {
    if (used >= state_->capacity) {
      return Status::Unavailable(
          fmt::format("{} big answers are being sent already (the most at once); retry shortly",
                      state_->capacity));
    }
  } while (!state_->used.compare_exchange_weak(used, used + 1));
  // The deleter gives the slot back; the pointer itself is never read.
  return Slot(state_.get(), [state = state_](void*) { state->used.fetch_sub(1); });
}

}  // namespace polytrace::query

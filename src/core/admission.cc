#include "core/admission.h"

#include <fmt/format.h>

namespace polytrace {

constexpr uint64_t kMiB = 1 << 20;

AdmissionGate::Ticket& AdmissionGate::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    gate_ = other.gate_;
    bytes_ = other.bytes_;
    other.gate_ = nullptr;
  }
  return *this;
}

void AdmissionGate::Ticket::Release() {
  if (gate_ != nullptr && bytes_ > 0) gate_->in_flight_.fetch_sub(bytes_);
  gate_ = nullptr;
}

void AdmissionGate::SetLimit(uint64_t soft_limit_bytes) {
  uint64_t current = limit_.load();
  while ((current == 0 || soft_limit_bytes < current) &&
         !limit_.compare_exchange_weak(current, soft_limit_bytes)) {
  }
}

Result<AdmissionGate::Ticket> AdmissionGate::Admit(uint64_t cost) {
  uint64_t limit = limit_.load();
  if (limit == 0) return Ticket();
  if (cost > limit) {
    return Status::InvalidArgument(
        fmt::format("the request would take up to {} MiB decoded, more than the memory limit "
                    "({} MiB soft): send smaller batches",
                    cost / kMiB, limit / kMiB));
  }
  uint64_t before = in_flight_.fetch_add(cost);
  uint64_t usage = usage_.load(std::memory_order_relaxed);
  if (usage + before + cost > limit) {
    in_flight_.fetch_sub(cost);
    return Status::ResourceExhausted(
               fmt::format("memory: {} MiB in use and {} MiB admitted; this request's {} MiB "
                           "would pass the soft limit of {} MiB",
                           usage / kMiB, before / kMiB, (cost + kMiB - 1) / kMiB, limit / kMiB))
        .set_retry_after(std::chrono::milliseconds(1000));
  }
  return Ticket(this, cost);
}

}  // namespace polytrace

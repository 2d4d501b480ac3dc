// AdmissionGate: memory admission before decoding.
//
// A receiver knows what a request will cost before it decodes it (at most
// otlp::DecodeCost of its body), so it asks the gate first: the request is
// admitted when the memory in use, plus what admitted requests still hold,
// plus its own cost stays under the memory_limiter's soft limit; otherwise
// it is refused (429 / RESOURCE_EXHAUSTED, retryable) having cost nothing.
// N concurrent maximum-size requests cannot push memory past the limit.
//
// One gate per process (the Host owns it); memory_limiter sets the limit and
// reports the usage it measures. Without a memory_limiter, every request is
// admitted. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/status.h"

namespace polytrace {

class AdmissionGate {
 public:
  // Holds `bytes` of the gate until destroyed (or moved from).
  class Ticket {
   public:
    Ticket() = default;
    Ticket(AdmissionGate* gate, uint64_t bytes) : gate_(gate), bytes_(bytes) {}
    Ticket(Ticket&& other) noexcept : gate_(other.gate_), bytes_(other.bytes_) {
      other.gate_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }
    uint64_t bytes() const { return gate_ ? bytes_ : 0; }

   private:
    void Release();
    AdmissionGate* gate_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // The soft limit in bytes (0: no limit). Several limiters: the lowest wins.
  void SetLimit(uint64_t soft_limit_bytes);
  // Memory in use as last measured (allocator statistics).
  void SetUsage(uint64_t bytes) { usage_.store(bytes, std::memory_order_relaxed); }

  // Admits a request that will cost up to `cost` bytes, or refuses it:
  // kResourceExhausted (retry later) or, when `cost` alone passes the limit,
  // kInvalidArgument (it never fits).
  Result<Ticket> Admit(uint64_t cost);

  uint64_t in_flight() const { return in_flight_.load(); }

 private:
  std::atomic<uint64_t> limit_{0};
  std::atomic<uint64_t> usage_{0};
  std::atomic<uint64_t> in_flight_{0};
};

}  // namespace polytrace

// The `memory_limiter` processor: measures the process's memory every
// check_interval and, above the soft limit (limit - spike), refuses data
// (kResourceExhausted → 429 / RESOURCE_EXHAUSTED with a retry hint) instead
// of growing. Like the Collector, which reads the Go heap, it measures what
// the process has allocated (the allocator's statistics), not RSS: freed
// memory the allocator keeps stays in RSS, and an RSS limiter refused every
// request for minutes after a burst. Above the soft limit it returns free
// memory to the OS (the Collector forces a GC), at most every
// min_gc_interval_when_soft_limited (every check above the hard limit), and
// once more when usage falls back under it.
//
// It also sets the process's AdmissionGate (core/admission.h): receivers
// admit a request by its decoding cost before decoding it.
//
// Threading: a checker thread updates an atomic flag read by ConsumeTraces.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "telemetry/metrics.h"

namespace polytrace {

class MemoryLimiterConfig : public ComponentConfig {
 public:
  std::chrono::milliseconds check_interval{0};
  uint64_t limit_mib = 0;
  uint64_t spike_limit_mib = 0;  // 0: 20% of limit_mib
  uint32_t limit_percentage = 0;
  uint32_t spike_limit_percentage = 0;
  std::chrono::milliseconds min_gc_interval_when_soft_limited{10'000};
  std::chrono::milliseconds min_gc_interval_when_hard_limited{0};

  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
  // The limits in bytes for a machine with `total_bytes` of memory.
  void Limits(uint64_t total_bytes, uint64_t* soft, uint64_t* hard) const;
};

class MemoryLimiter : public Processor {
 public:
  using MemoryProbe = std::function<uint64_t()>;
  // `probe` (HeapInUseBytes by default) and `total_memory` are injectable for tests.
  MemoryLimiter(Settings settings, MemoryLimiterConfig config, TracesConsumer* next,
                MemoryProbe probe = nullptr, uint64_t total_memory = 0);
  ~MemoryLimiter() override;

  Status Start(Host& host) override;
  void Shutdown() override;
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return next_->AcknowledgesDurably(); }
  bool QueuesWithoutWaiting() const override { return next_->QueuesWithoutWaiting(); }
  bool NeedsSpans() const override { return next_->NeedsSpans(); }
  // One measurement (the checker thread calls it every check_interval).
  void CheckNow();
  bool refusing() const { return refusing_.load(); }

 private:
  Settings settings_;
  MemoryLimiterConfig config_;
  TracesConsumer* next_;
  MemoryProbe probe_;
  // Returns free memory to the OS if the interval for `usage` has passed.
  void MaybeReleaseMemory(uint64_t usage);

  uint64_t soft_ = 0, hard_ = 0;
  AdmissionGate* gate_ = nullptr;
  std::chrono::steady_clock::time_point last_release_{};
  std::atomic<bool> refusing_{false};
  std::atomic<uint64_t> last_usage_{0};
  Counter* accepted_ = nullptr;
  Counter* refused_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread checker_;
};

// Total memory available to this process: the cgroup limit, else MemTotal.
uint64_t AvailableMemoryBytes();

std::unique_ptr<ProcessorFactory> NewMemoryLimiterProcessorFactory();

}  // namespace polytrace

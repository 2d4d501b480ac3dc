#include "processors/memory_limiter/memory_limiter.h"

#include <fmt/format.h>

#include <fstream>

#include "core/arena.h"
#include "core/reclaimable.h"
#include "core/thread_name.h"

namespace polytrace {

constexpr uint64_t kMiB = 1024 * 1024;

namespace {

// The arena blocks kept warm, then the allocator's free pages.
void ReturnMemoryToOs() {
  Arena::ReleasePooledBlocks();
  ReleaseFreeMemory();
}

}  // namespace

Status MemoryLimiterConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("check_interval", &check_interval));
  POLYTRACE_RETURN_IF_ERROR(r.Read("limit_mib", &limit_mib));
  POLYTRACE_RETURN_IF_ERROR(r.Read("spike_limit_mib", &spike_limit_mib));
  POLYTRACE_RETURN_IF_ERROR(r.Read("limit_percentage", &limit_percentage));
  POLYTRACE_RETURN_IF_ERROR(r.Read("spike_limit_percentage", &spike_limit_percentage));
  // The Collector's GC intervals: here, how often free memory is returned.
  POLYTRACE_RETURN_IF_ERROR(
      r.Read("min_gc_interval_when_soft_limited", &min_gc_interval_when_soft_limited));
  POLYTRACE_RETURN_IF_ERROR(
      r.Read("min_gc_interval_when_hard_limited", &min_gc_interval_when_hard_limited));
  return r.Finish();
}

Status MemoryLimiterConfig::Validate() const {
  if (check_interval.count() <= 0)
    return Status::InvalidArgument("check_interval must be greater than zero");
  if (limit_mib == 0 && limit_percentage == 0) {
    return Status::InvalidArgument("either limit_mib or limit_percentage must be set");
  }
  if (limit_mib > 0 && spike_limit_mib >= limit_mib) {
    return Status::InvalidArgument(fmt::format(
        "spike_limit_mib ({}) must be smaller than limit_mib ({})", spike_limit_mib, limit_mib));
  }
  if (limit_percentage > 100 || spike_limit_percentage > 100) {
    return Status::InvalidArgument("percentages must be between 0 and 100");
  }
  if (limit_mib == 0 && spike_limit_percentage >= limit_percentage) {
    return Status::InvalidArgument("spike_limit_percentage must be smaller than limit_percentage");
  }
  return Status::Ok();
}

void MemoryLimiterConfig::Limits(uint64_t total, uint64_t* soft, uint64_t* hard) const {
  uint64_t spike;
  if (limit_mib > 0) {
    *hard = limit_mib * kMiB;
    spike = spike_limit_mib > 0 ? spike_limit_mib * kMiB : *hard / 5;
  } else {
    *hard = total / 100 * limit_percentage;
    spike = total / 100 * spike_limit_percentage;
  }
  *soft = *hard > spike ? *hard - spike : 0;
}

uint64_t AvailableMemoryBytes() {
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::string value;
  if (cgroup >> value && value != "max") return std::stoull(value);
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemTotal:") return kb * 1024;
    meminfo.ignore(64, '\n');
  }
  return 0;
}

MemoryLimiter::MemoryLimiter(Settings settings, MemoryLimiterConfig config, TracesConsumer* next,
                             MemoryProbe probe, uint64_t total_memory)
    : settings_(std::move(settings)),
      config_(std::move(config)),
      next_(next),
      probe_(probe ? std::move(probe) : MemoryProbe(HeapInUseBytes)) {
  config_.Limits(total_memory ? total_memory : AvailableMemoryBytes(), &soft_, &hard_);
}

MemoryLimiter::~MemoryLimiter() { Shutdown(); }

Status MemoryLimiter::Start(Host& host) {
  Labels labels{{"processor", settings_.id.ToString()}};
  accepted_ = &host.metrics().GetCounter("otelcol_processor_accepted_spans",
                                         "Spans passed on by the processor.", labels);
  refused_ = &host.metrics().GetCounter("otelcol_processor_refused_spans",
                                        "Spans refused by the processor (memory limit).", labels);
  settings_.logger->info("memory limits: soft {} MiB, hard {} MiB, checked every {} ms",
                         soft_ / kMiB, hard_ / kMiB, config_.check_interval.count());
  gate_ = host.admission();
  if (gate_) gate_->SetLimit(soft_);
  CheckNow();
  checker_ = std::thread([this] {
    SetThreadName("memory_limiter");
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, config_.check_interval, [&] { return stopping_; })) {
      lock.unlock();
      CheckNow();
      lock.lock();
    }
  });
  return Status::Ok();
}

void MemoryLimiter::CheckNow() {
  uint64_t usage = probe_();
  // Caches go before data is refused: they only make answers faster. What
  // they held is no longer in use at once (returning it to the OS is
  // MaybeReleaseMemory's, at its interval).
  if (usage > soft_ && ReclaimCaches() > 0) usage = probe_();
  MaybeReleaseMemory(usage);
  last_usage_.store(usage);
  if (gate_) gate_->SetUsage(usage);
  bool was = refusing_.load();
  bool now = usage > soft_;
  if (now != was) {
    refusing_.store(now);
    if (now) {
      settings_.logger->warn("memory usage {} MiB is above the soft limit {} MiB: refusing data",
                             usage / kMiB, soft_ / kMiB);
    } else {
      settings_.logger->info("memory usage {} MiB is below the soft limit again: accepting data",
                             usage / kMiB);
      ReturnMemoryToOs();  // what the burst left goes back
    }
  }
}

void MemoryLimiter::MaybeReleaseMemory(uint64_t usage) {
  if (usage <= soft_) return;
  auto interval = usage > hard_ ? config_.min_gc_interval_when_hard_limited
                                : config_.min_gc_interval_when_soft_limited;
  auto now = std::chrono::steady_clock::now();
  if (last_release_ != std::chrono::steady_clock::time_point{} && now - last_release_ < interval) {
    return;
  }
  last_release_ = now;
  ReturnMemoryToOs();
}

Status MemoryLimiter::ConsumeTraces(Traces traces) {
  size_t n = traces.SpanCount();
  if (refusing_.load()) {
    if (refused_) refused_->Add(n);
    return Status::ResourceExhausted(
               fmt::format("memory usage {} MiB is above the soft limit {} MiB; data refused",
                           last_usage_.load() / kMiB, soft_ / kMiB))
        .set_retry_after(std::max(config_.check_interval, std::chrono::milliseconds(1000)));
  }
  if (accepted_) accepted_->Add(n);
  return next_->ConsumeTraces(std::move(traces));
}

void MemoryLimiter::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (checker_.joinable()) checker_.join();
}

namespace {

class MemoryLimiterFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "memory_limiter"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<MemoryLimiterConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings& settings,
                                             const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(std::make_unique<MemoryLimiter>(
        settings, static_cast<const MemoryLimiterConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewMemoryLimiterProcessorFactory() {
  return std::make_unique<MemoryLimiterFactory>();
}

}  // namespace polytrace

// Self-metrics: counters, gauges and histograms rendered in the Prometheus
// text exposition format on :8888/metrics.
//
// Names follow the OpenTelemetry Collector's own telemetry
// (otelcol_receiver_accepted_spans, otelcol_exporter_queue_size, ...) so
// dashboards built for the Collector work. Metric handles are created once at
// component construction; updating them is a relaxed atomic operation and
// safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace polytrace {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound plus +Inf, the sum and the count.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const;
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  mutable std::mutex sum_mu_;
  double sum_ = 0;  // guarded by sum_mu_
};

class MetricsRegistry {
 public:
  // Returns the same handle for the same name and labels.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds, const Labels& labels = {});
  // A gauge computed when scraped (e.g. RSS).
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> fn);

  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
    std::function<double()> callback;
  };
  Family& GetFamily(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
};

// Resident set size of this process in bytes (from /proc/self/statm).
uint64_t ProcessRssBytes();
// Bytes the allocator has handed out and not had back (glibc mallinfo2:
// in-use heap plus mmapped chunks): what the process holds, unlike RSS,
// which keeps freed memory the allocator has not returned to the OS.
uint64_t HeapInUseBytes();
// Returns the allocator's free memory to the OS (malloc_trim), as the
// Collector's memory_limiter forces a garbage collection.
void ReleaseFreeMemory();

}  // namespace polytrace

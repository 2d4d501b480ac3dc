// QueuedExporter: the Collector's exporterhelper in C++. It encodes each
// batch once into the exporter's wire form, queues it (bounded, in memory
// or on disk) and lets `num_consumers` threads send with exponential
// backoff; Retry-After / RetryInfo hints from downstream win over the
// backoff. A full queue refuses with kUnavailable (clients see 503 /
// UNAVAILABLE and retry); nothing is dropped without a metric and a log.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "exporters/exporterhelper/config.h"
#include "exporters/exporterhelper/request_queue.h"
#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "telemetry/metrics.h"

namespace polytrace {

// One attempt to deliver a request; what a concrete exporter implements.
// Called from several consumer threads at once.
class RequestSender {
 public:
  virtual ~RequestSender() = default;
  // Resolves what it needs from the host (e.g. a client authenticator).
  virtual Status Start(Host&) { return Status::Ok(); }
  // Retryable statuses are retried (honouring retry_after()); others dropped.
  virtual Status Send(const ExportRequest& request, std::chrono::milliseconds timeout) = 0;
  // Shutdown's budget is spent: sends in flight return promptly (kUnavailable)
  // whatever the backend does, and later sends fail at once. Thread-safe.
  virtual void Cancel() {}
};

using RequestEncoder = std::function<std::string(const Traces&)>;

class QueuedExporter : public Exporter {
 public:
  // `encoder_reads_spans`: false when the encoder only needs the batch's
  // wire form (OTLP protobuf), so receivers may leave batches undecoded.
  QueuedExporter(Settings settings, ExporterHelperConfig config, RequestEncoder encoder,
                 std::unique_ptr<RequestSender> sender, bool encoder_reads_spans = true);
  ~QueuedExporter() override;

  Status Start(Host& host) override;
  void Shutdown() override;
  Status ConsumeTraces(Traces traces) override;
  bool NeedsSpans() const override { return encoder_reads_spans_; }
  // With an in-memory queue that refuses when full: encoding and queueing
  // is all a call does (a persistent queue writes a file, no queue sends).
  bool QueuesWithoutWaiting() const override {
    return config_.queue.enabled && !config_.queue.block_on_overflow &&
           config_.queue.storage.empty();
  }

 private:
  void ConsumerLoop();
  // Sends with retries; false when the request was given up.
  Status SendWithRetry(const ExportRequest& request);
  // Sleeps up to `d`; false when shutdown interrupted the wait.
  bool SleepUnlessStopping(std::chrono::milliseconds d);
  // The per-attempt timeout, cut to what is left of the drain budget.
  std::chrono::milliseconds AttemptTimeout() const;

  Settings settings_;
  ExporterHelperConfig config_;
  RequestEncoder encoder_;
  std::unique_ptr<RequestSender> sender_;
  bool encoder_reads_spans_;
  std::unique_ptr<RequestQueue> queue_;
  std::vector<std::thread> consumers_;

  Counter* sent_ = nullptr;
  Counter* send_failed_ = nullptr;
  Counter* enqueue_failed_ = nullptr;
  Gauge* queue_size_ = nullptr;
  Counter* retries_ = nullptr;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};  // retries give up; written under stop_mu_
  // Set before stopping_ is; after it, queued requests are dropped unsent.
  std::chrono::steady_clock::time_point drain_deadline_;
  static constexpr std::chrono::seconds kDrainBudget{5};
  bool shut_down_ = false;
};

}  // namespace polytrace

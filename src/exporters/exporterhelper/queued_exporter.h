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
#include <optional>
#include <thread>
#include <vector>

#include "exporters/exporterhelper/config.h"
#include "exporters/exporterhelper/request_queue.h"
#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "telemetry/metrics.h"

namespace polytrace {

// An attempt whose outcome is read later (RequestSender::Begin).
class SendInProgress {
 public:
  virtual ~SendInProgress() = default;
  // Whether the outcome is in already (Finish will not wait for it).
  virtual bool outcome_known() const = 0;
  // The attempt's outcome, waited for within its timeout; called once.
  virtual Status Finish() = 0;
};

// One attempt to deliver a request; what a concrete exporter implements.
// Called from several consumer threads at once.
class RequestSender {
 public:
  virtual ~RequestSender() = default;
  // Resolves what it needs from the host (e.g. a client authenticator).
  virtual Status Start(Host&) { return Status::Ok(); }
  // Retryable statuses are retried (honouring retry_after()); others dropped.
  virtual Status Send(const ExportRequest& request, std::chrono::milliseconds timeout) = 0;
  // An attempt whose answer can be read later, when the sending thread next
  // has something to send: it is not woken for it meanwhile (an idle CPU
  // woken cost a forwarded batch ~30 µs on a VM). `request` stays where it is
  // (its payload's bytes unmoved) until the attempt is gone.
  // By default the attempt is made at once (Send) and its outcome kept.
  virtual std::unique_ptr<SendInProgress> Begin(const ExportRequest& request,
                                                std::chrono::milliseconds timeout);
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
  // Sends with retries; false when the request was given up. `first`: the
  // first attempt's outcome when it was made already.
  Status SendWithRetry(const ExportRequest& request, std::optional<Status> first = std::nullopt);
  // Reads the outcome of a taken request's attempt, retries it if need be,
  // and lets the queue forget it.
  void Settle(const ExportRequest& request, SendInProgress& attempt);
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
  // The longest an answer stays unread when nothing else is to be sent (a
  // batch processor's default flushes every 200 ms while spans come).
  static constexpr std::chrono::milliseconds kAnswerReadDelay{1000};
  bool shut_down_ = false;
};

}  // namespace polytrace

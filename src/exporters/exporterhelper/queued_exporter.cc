#include "exporters/exporterhelper/queued_exporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

#include "core/background_thread.h"
#include "core/thread_name.h"
#include "pipeline/storage.h"

namespace polytrace {

namespace {

// An attempt made at once, its outcome kept.
class SentAlready : public SendInProgress {
 public:
  explicit SentAlready(Status outcome) : outcome_(std::move(outcome)) {}
  bool outcome_known() const override { return true; }
  Status Finish() override { return std::move(outcome_); }

 private:
  Status outcome_;
};

}  // namespace

std::unique_ptr<SendInProgress> RequestSender::Begin(const ExportRequest& request,
                                                     std::chrono::milliseconds timeout) {
  return std::make_unique<SentAlready>(Send(request, timeout));
}

QueuedExporter::QueuedExporter(Settings settings, ExporterHelperConfig config,
                               RequestEncoder encoder, std::unique_ptr<RequestSender> sender,
                               bool encoder_reads_spans)
    : settings_(std::move(settings)),
      config_(std::move(config)),
      encoder_(std::move(encoder)),
      sender_(std::move(sender)),
      encoder_reads_spans_(encoder_reads_spans) {}

QueuedExporter::~QueuedExporter() { Shutdown(); }

Status QueuedExporter::Start(Host& host) {
  Labels labels{{"exporter", settings_.id.ToString()}};
  MetricsRegistry& m = host.metrics();
  sent_ = &m.GetCounter("otelcol_exporter_sent_spans", "Spans successfully sent.", labels);
  send_failed_ = &m.GetCounter("otelcol_exporter_send_failed_spans",
                               "Spans that failed to be sent (given up or rejected).", labels);
  enqueue_failed_ = &m.GetCounter("otelcol_exporter_enqueue_failed_spans",
                                  "Spans refused because the sending queue was full.", labels);
  queue_size_ =
      &m.GetGauge("otelcol_exporter_queue_size", "Current size of the sending queue.", labels);
  retries_ = &m.GetCounter("polytrace_exporter_send_retries",
                           "Failed attempts that were scheduled for a retry.", labels);
  POLYTRACE_RETURN_IF_ERROR(sender_->Start(host));
  if (!config_.queue.enabled) return Status::Ok();
  m.GetGauge("otelcol_exporter_queue_capacity", "Capacity of the sending queue.", labels)
      .Set(config_.queue.queue_size);

  std::string directory;
  if (!config_.queue.storage.empty()) {
    ComponentId storage_id = ComponentId::Parse(config_.queue.storage);
    auto* storage = dynamic_cast<StorageExtension*>(host.GetExtension(storage_id));
    if (storage == nullptr) {
      return Status::InvalidArgument(
          fmt::format("sending_queue.storage: \"{}\" is not a started storage extension (add it to "
                      "service.extensions)",
                      config_.queue.storage));
    }
    Result<std::string> dir = storage->DirectoryFor("exporter", settings_.id.ToString());
    if (!dir.ok()) return dir.status();
    directory = *dir;
  }
  queue_ = std::make_unique<RequestQueue>(config_.queue.queue_size, config_.queue.sizer == "items",
                                          directory);
  Result<size_t> recovered = queue_->Recover();
  if (!recovered.ok()) return recovered.status();
  if (*recovered > 0) {
    settings_.logger->info("resuming {} queued requests from {}", *recovered, directory);
  }
  queue_size_->Set(queue_->size());
  for (int i = 0; i < config_.queue.num_consumers; ++i) {
    consumers_.emplace_back([this] {
      SetThreadName("exp:" + settings_.id.ToString());
      RunAsBackgroundThread();
      ConsumerLoop();
    });
  }
  return Status::Ok();
}

Status QueuedExporter::ConsumeTraces(Traces traces) {
  ExportRequest request;
  request.spans = traces.SpanCount();
  if (request.spans == 0) return Status::Ok();
  request.payload = encoder_(traces);
  if (!queue_) {
    // No queue: the caller waits for the outcome, as in the Collector.
    return SendWithRetry(request);
  }
  uint64_t spans = request.spans;
  Status st = queue_->Offer(std::move(request), config_.queue.block_on_overflow);
  if (!st.ok()) {
    enqueue_failed_->Add(spans);
    return st;
  }
  queue_size_->Set(queue_->size());
  return Status::Ok();
}

void QueuedExporter::ConsumerLoop() {
  // The last request sent, while its answer is unread: it is read when this
  // thread takes its next request (long there by then), or at `read_by`.
  std::optional<ExportRequest> unread;
  std::unique_ptr<SendInProgress> unread_attempt;
  std::chrono::steady_clock::time_point read_by;
  auto settle_unread = [&] {
    Settle(*unread, *unread_attempt);
    unread_attempt.reset();  // first: it may refer to the request's payload
    unread.reset();
  };
  while (true) {
    bool timed_out = false;
    std::optional<ExportRequest> r =
        unread ? queue_->TakeUntil(read_by, &timed_out) : queue_->Take();
    if (unread) settle_unread();
    if (!r) {
      if (timed_out) continue;
      return;  // closed (and drained)
    }
    queue_size_->Set(queue_->size());
    if (stopping_.load() && std::chrono::steady_clock::now() > drain_deadline_) {
      send_failed_->Add(r->spans);
      settings_.logger->error("shutdown: dropping {} queued spans (drain deadline passed)",
                              r->spans);
      queue_->Done(*r);
      continue;
    }
    // Moved to where it stays until settled before the attempt begins: the
    // attempt may refer to its payload's bytes.
    unread = std::move(r);
    std::chrono::milliseconds timeout = AttemptTimeout();
    unread_attempt = sender_->Begin(*unread, timeout);
    if (unread_attempt->outcome_known() || stopping_.load()) {
      settle_unread();
      continue;
    }
    read_by = std::chrono::steady_clock::now() + std::min(timeout, kAnswerReadDelay);
  }
}

void QueuedExporter::Settle(const ExportRequest& request, SendInProgress& attempt) {
  Status st = SendWithRetry(request, attempt.Finish());
  // A persistent queue keeps what shutdown interrupted for the next run.
  bool interrupted =
      !st.ok() && st.retryable() && stopping_.load() && !config_.queue.storage.empty();
  if (!interrupted) queue_->Done(request);
}

Status QueuedExporter::SendWithRetry(const ExportRequest& request, std::optional<Status> first) {
  auto start = std::chrono::steady_clock::now();
  thread_local std::mt19937_64 rng(std::random_device{}());  // seeding reads the OS: once
  double interval = static_cast<double>(config_.retry.initial_interval.count());
  for (int attempt = 1;; ++attempt) {
    Status st =
        attempt == 1 && first ? std::move(*first) : sender_->Send(request, AttemptTimeout());
    if (st.ok()) {
      sent_->Add(request.spans);
      return st;
    }
    bool give_up = !st.retryable() || !config_.retry.enabled || stopping_.load();
    std::chrono::milliseconds wait{0};
    if (!give_up) {
      std::uniform_real_distribution<double> jitter(1 - config_.retry.randomization_factor,
                                                    1 + config_.retry.randomization_factor);
      wait = std::chrono::milliseconds(static_cast<int64_t>(interval * jitter(rng)));
      if (st.retry_after()) wait = *st.retry_after();
      interval = std::min(interval * config_.retry.multiplier,
                          static_cast<double>(config_.retry.max_interval.count()));
      auto elapsed = std::chrono::steady_clock::now() - start;
      if (config_.retry.max_elapsed_time.count() > 0 &&
          elapsed + wait > config_.retry.max_elapsed_time) {
        give_up = true;
      }
    }
    if (give_up) {
      send_failed_->Add(request.spans);
      settings_.logger->error("dropping {} spans after {} attempt{}: {}", request.spans, attempt,
                              attempt == 1 ? "" : "s", st.message());
      return st;
    }
    retries_->Add();
    settings_.logger->warn("sending {} spans failed (attempt {}), retrying in {} ms: {}",
                           request.spans, attempt, wait.count(), st.message());
    if (!SleepUnlessStopping(wait)) {
      if (config_.queue.storage.empty()) {
        send_failed_->Add(request.spans);
        settings_.logger->error("shutdown: dropping {} spans whose retries were pending: {}",
                                request.spans, st.message());
      } else {
        settings_.logger->info("shutdown: {} spans stay queued on disk for the next start",
                               request.spans);
      }
      return Status::Unavailable("shutting down: " + st.message());
    }
  }
}

std::chrono::milliseconds QueuedExporter::AttemptTimeout() const {
  if (!stopping_.load()) return config_.timeout;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      drain_deadline_ - std::chrono::steady_clock::now());
  return std::clamp(left, std::chrono::milliseconds(1), config_.timeout);
}

bool QueuedExporter::SleepUnlessStopping(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  return !stop_cv_.wait_for(lock, d, [&] { return stopping_.load(); });
}

void QueuedExporter::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (!queue_) return;
  // Retries stop at once. A memory queue gets one last attempt per queued
  // request within the drain deadline, the rest is dropped and counted; a
  // persistent queue stops now and resends the rest after a restart.
  bool persistent = !config_.queue.storage.empty();
  drain_deadline_ = std::chrono::steady_clock::now() + kDrainBudget;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
    stop_cv_.notify_all();
  }
  queue_->Close(/*drain=*/!persistent);
  // A send that began before shutdown has the full `timeout` (30 s for
  // otlphttp) against a backend that may never answer: past the budget, it
  // is cancelled, so shutdown ends within it whatever the backend does.
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool consumers_done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(done_mu);
    if (!done_cv.wait_until(lock, drain_deadline_, [&] { return consumers_done; })) {
      settings_.logger->warn("shutdown: cancelling sends still in flight after {} s",
                             kDrainBudget.count());
      sender_->Cancel();
    }
  });
  for (auto& t : consumers_) t.join();
  consumers_.clear();
  {
    std::lock_guard<std::mutex> lock(done_mu);
    consumers_done = true;
  }
  done_cv.notify_all();
  watchdog.join();
  if (queue_size_) queue_size_->Set(queue_->size());
}

}  // namespace polytrace

#include "processors/batch/batch_processor.h"

#include <fmt/format.h>

#include "core/background_thread.h"
#include "core/thread_name.h"

namespace polytrace {

Status BatchConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("timeout", &timeout));
  POLYTRACE_RETURN_IF_ERROR(r.Read("send_batch_size", &send_batch_size));
  POLYTRACE_RETURN_IF_ERROR(r.Read("send_batch_max_size", &send_batch_max_size));
  POLYTRACE_RETURN_IF_ERROR(r.Read("metadata_keys", &metadata_keys));
  POLYTRACE_RETURN_IF_ERROR(r.Read("metadata_cardinality_limit", &metadata_cardinality_limit));
  if (!metadata_keys.empty()) {
    return r.KeyError("metadata_keys", "batching by client metadata is not supported yet");
  }
  return r.Finish();
}

Status BatchConfig::Validate() const {
  if (send_batch_max_size > 0 && send_batch_max_size < send_batch_size) {
    return Status::InvalidArgument(
        fmt::format("send_batch_max_size ({}) must be greater or equal to send_batch_size ({})",
                    send_batch_max_size, send_batch_size));
  }
  if (timeout.count() < 0) return Status::InvalidArgument("timeout must not be negative");
  return Status::Ok();
}

BatchProcessor::BatchProcessor(Settings settings, BatchConfig config, TracesConsumer* next)
    : settings_(std::move(settings)), config_(std::move(config)), next_(next) {}

BatchProcessor::~BatchProcessor() { Shutdown(); }

Status BatchProcessor::Start(Host& host) {
  Labels labels{{"processor", settings_.id.ToString()}};
  MetricsRegistry& m = host.metrics();
  send_size_ = &m.GetHistogram(
      "otelcol_processor_batch_batch_send_size", "Number of spans in each batch sent.",
      {10,   25,   50,   75,   100,  250,  500,   750,   1000,  2000,  3000,
       4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000},
      labels);
  size_triggers_ = &m.GetCounter("otelcol_processor_batch_batch_size_trigger_send",
                                 "Batches sent because of the size trigger.", labels);
  timeout_triggers_ = &m.GetCounter("otelcol_processor_batch_timeout_trigger_send",
                                    "Batches sent because of the timeout trigger.", labels);
  send_failed_ = &m.GetCounter("polytrace_processor_batch_send_failed_spans",
                               "Spans the next component refused after batching.", labels);
  sent_by_receivers_ = &m.GetCounter(
      "polytrace_processor_batch_receiver_sends",
      "Batches a receiver's thread sent before their timeout, the next spans not being expected "
      "before it (counted as timeout triggers too).",
      labels);
  wait_for_delivery_ = next_->AcknowledgesDurably();
  receivers_send_ = !wait_for_delivery_ && next_->QueuesWithoutWaiting();
  if (wait_for_delivery_) {
    settings_.logger->info("the next consumer acknowledges durably: acknowledging after delivery");
  }
  std::lock_guard<std::mutex> lock(mu_);
  started_ = true;
  if (wait_for_delivery_) return Status::Ok();  // producers send themselves (Deliver)
  flusher_ = std::thread([this] {
    SetThreadName("batch");
    RunAsBackgroundThread();
    Run();
  });
  return Status::Ok();
}

Status BatchProcessor::ConsumeTraces(Traces traces) {
  size_t n = traces.SpanCount();
  if (n == 0) return Status::Ok();
  std::unique_lock<std::mutex> lock(mu_);
  // Backpressure as in the Collector, whose batcher takes one request at a
  // time: while a full batch waits for the flusher, producers wait too, so
  // pending data stays bounded (send_batch_size plus one request).
  room_cv_.wait(lock, [&] { return stopping_ || pending_spans_ < config_.send_batch_size; });
  if (stopping_ || !started_) {
    return Status::Unavailable("batch processor is shutting down");
  }
  bool first = pending_spans_ == 0;
  // The clock is read for a batch's deadline and, where receivers may send,
  // for the gaps between calls.
  auto now = first || receivers_send_ ? std::chrono::steady_clock::now()
                                      : std::chrono::steady_clock::time_point();
  if (first) deadline_ = now + config_.timeout;
  pending_.Append(std::move(traces));
  pending_spans_ += n;
  if (wait_for_delivery_) return Deliver(lock);
  bool last_before_deadline = receivers_send_ && NoMoreSpansExpectedBeforeDeadline(now);
  if (pending_spans_ >= config_.send_batch_size) {
    alarm_.Ring();  // the flusher sends full batches
  } else if (last_before_deadline) {
    // The batch would leave at its deadline with nothing more in it: it
    // leaves now, from this thread, and the flusher is not woken for it.
    Traces batch = std::move(pending_);
    pending_ = Traces();
    pending_spans_ = 0;
    if (!first) alarm_.Clear();  // a first span had not set it
    lock.unlock();
    sent_by_receivers_->Add();
    // As a timeout-triggered send: a failure is counted and logged, the
    // spans were acknowledged (the Collector's batch processor drops them).
    (void)Send(std::move(batch), Trigger::kTimeout);
  } else if (first) {
    alarm_.SetAt(deadline_);
  }
  return Status::Ok();
}

bool BatchProcessor::NoMoreSpansExpectedBeforeDeadline(std::chrono::steady_clock::time_point now) {
  // A moving average of the gaps between calls, each counted up to twice
  // the timeout (after an idle minute the estimate is back within a few
  // calls).
  std::chrono::nanoseconds cap = 2 * config_.timeout + std::chrono::milliseconds(1);
  if (last_arrival_.time_since_epoch().count() != 0) {
    std::chrono::nanoseconds sample = std::min<std::chrono::nanoseconds>(now - last_arrival_, cap);
    gap_ = gap_.count() == 0 ? sample : gap_ + (sample - gap_) / 4;
  }
  last_arrival_ = now;
  if (now >= deadline_) return true;
  // Half a gap of margin: with calls as regular as a client's export timer,
  // the next one coming right at the deadline would otherwise race the
  // alarm, and lose as often as it wins.
  return gap_.count() > 0 && now + gap_ * 3 / 2 >= deadline_;
}

uint64_t BatchProcessor::flusher_wakeups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flusher_wakeups_;
}

// Delivery mode, a group commit as the WAL's: the first producer to find
// no send in progress sends everything pending (its spans and those of
// the producers that arrived meanwhile) from its own thread, then hands
// each of them the result; producers arriving during a send wait for the
// next, which one of them leads. Handing each request to a flusher thread
// instead cost two more context switches a request.
Status BatchProcessor::Deliver(std::unique_lock<std::mutex>& lock) {
  uint64_t mine = open_batch_;
  ++deliveries_[mine].waiters;
  while (!deliveries_[mine].done) {
    if (delivering_) {
      delivered_cv_.wait(lock);
      continue;
    }
    delivering_ = true;
    uint64_t batch = open_batch_++;
    std::vector<Traces> out;
    size_t max = config_.send_batch_max_size;
    while (pending_spans_ > 0) {
      if (max > 0 && pending_spans_ > max) {
        out.push_back(pending_.SplitFront(max));
        pending_spans_ -= max;
      } else {
        out.push_back(std::move(pending_));
        pending_ = Traces();
        pending_spans_ = 0;
      }
    }
    room_cv_.notify_all();
    lock.unlock();
    Status first_failure;
    for (Traces& piece : out) {
      Status st = Send(std::move(piece), Trigger::kDelivery);
      if (!st.ok() && first_failure.ok()) first_failure = st;
    }
    lock.lock();
    delivering_ = false;
    Delivery& d = deliveries_[batch];
    d.status = first_failure;
    d.done = true;
    delivered_cv_.notify_all();
  }
  Delivery& d = deliveries_[mine];
  Status st = d.status;
  if (--d.waiters == 0) deliveries_.erase(mine);
  return st;
}

void BatchProcessor::Run() {
  bool woken = false;  // the last pass ended in a wait
  while (true) {
    std::unique_lock<std::mutex> lock(mu_);
    if (woken) ++flusher_wakeups_;
    woken = false;
    auto now = std::chrono::steady_clock::now();
    bool full = pending_spans_ >= config_.send_batch_size;
    bool due = pending_spans_ > 0 && now >= deadline_;
    if (!full && !due && !(stopping_ && pending_spans_ > 0)) {
      if (stopping_) return;
      lock.unlock();
      alarm_.Wait();  // set to the deadline by the batch's first span, or rung
      woken = true;
      continue;
    }
    Trigger trigger = full ? Trigger::kSize : due ? Trigger::kTimeout : Trigger::kShutdown;
    // As in the Collector: a size trigger sends everything pending, in
    // pieces of send_batch_max_size when that is set, and a remainder
    // smaller than send_batch_size waits for the next trigger.
    std::vector<Traces> out;
    size_t max = config_.send_batch_max_size;
    while (pending_spans_ > 0 &&
           (trigger != Trigger::kSize || pending_spans_ >= config_.send_batch_size)) {
      if (max > 0 && pending_spans_ > max) {
        out.push_back(pending_.SplitFront(max));
        pending_spans_ -= max;
      } else {
        out.push_back(std::move(pending_));
        pending_ = Traces();
        pending_spans_ = 0;
      }
    }
    if (pending_spans_ > 0) {
      deadline_ = now + config_.timeout;
      alarm_.SetAt(deadline_);
    } else {
      alarm_.Clear();
    }
    room_cv_.notify_all();
    lock.unlock();
    // Failures are counted and logged by Send; the data was acknowledged
    // to its producers already (the Collector's batch processor drops it too).
    for (Traces& batch : out) (void)Send(std::move(batch), trigger);
  }
}

Status BatchProcessor::Send(Traces batch, Trigger trigger) {
  size_t n = batch.SpanCount();
  send_size_->Observe(static_cast<double>(n));
  if (trigger == Trigger::kTimeout) {
    timeout_triggers_->Add();
  } else if (trigger != Trigger::kDelivery) {
    size_triggers_->Add();
  }
  Status st = next_->ConsumeTraces(std::move(batch));
  if (!st.ok()) {
    send_failed_->Add(n);
    // In delivery mode the producers get the error (and their clients retry).
    if (trigger != Trigger::kDelivery) {
      settings_.logger->warn("sending a batch of {} spans failed: {}", n, st.message());
    }
  }
  return st;
}

void BatchProcessor::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  alarm_.Ring();
  room_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

namespace {

class BatchProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "batch"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<BatchConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings& settings,
                                             const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(
        std::make_unique<BatchProcessor>(settings, static_cast<const BatchConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewBatchProcessorFactory() {
  return std::make_unique<BatchProcessorFactory>();
}

}  // namespace polytrace

#include "exporters/exporterhelper/queued_exporter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "pipeline/storage.h"
#include "telemetry/logging.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

using std::chrono::milliseconds;

// A sender whose answers the test scripts; it records what arrived.
class ScriptedSender : public RequestSender {
 public:
  Status Send(const ExportRequest& r, milliseconds) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++attempts_;
    Status st = script_.empty() ? fallback_ : script_.front();
    if (!script_.empty()) script_.pop_front();
    if (st.ok()) delivered_.push_back(r.payload);
    cv_.notify_all();
    return st;
  }
  void Script(std::deque<Status> s, Status fallback = Status::Ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(s);
    fallback_ = std::move(fallback);
  }
  bool WaitDelivered(size_t n, milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return delivered_.size() >= n; });
  }
  bool WaitAttempts(int n, milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return attempts_ >= n; });
  }
  std::vector<std::string> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  int attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Status> script_;
  Status fallback_;
  std::vector<std::string> delivered_;
  int attempts_ = 0;
};

// A sender whose answers are read later (RequestSender::Begin): it records
// each attempt's beginning and the reading of its answer, in order, with
// what the test noted in between.
class LateAnswerSender : public RequestSender {
 public:
  Status Send(const ExportRequest& r, milliseconds) override {
    Note("send " + r.payload);
    return Status::Ok();
  }
  std::unique_ptr<SendInProgress> Begin(const ExportRequest& r, milliseconds) override {
    Note("begin " + r.payload);
    return std::make_unique<Attempt>(*this, r.payload);
  }
  // The next answers read (then OK).
  void Answer(std::deque<Status> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_ = std::move(answers);
  }
  void Note(const std::string& event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }
  bool WaitFor(const std::string& event, milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] {
      return std::find(events_.begin(), events_.end(), event) != events_.end();
    });
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  struct Attempt : SendInProgress {
    Attempt(LateAnswerSender& s, std::string p) : sender(s), payload(std::move(p)) {}
    bool outcome_known() const override { return false; }
    Status Finish() override {
      sender.Note("answer " + payload);
      std::lock_guard<std::mutex> lock(sender.mu_);
      if (sender.answers_.empty()) return Status::Ok();
      Status st = sender.answers_.front();
      sender.answers_.pop_front();
      return st;
    }
    LateAnswerSender& sender;
    std::string payload;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Status> answers_;
  std::vector<std::string> events_;
};

class DirStorage : public StorageExtension {
 public:
  explicit DirStorage(std::string dir) : dir_(std::move(dir)) {}
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Result<std::string> DirectoryFor(const std::string& kind, const std::string& id) override {
    return dir_ + "/" + kind + "_" + id;
  }

 private:
  std::string dir_;
};

ExporterHelperConfig FastConfig() {
  ExporterHelperConfig c;
  c.timeout = milliseconds(500);
  c.retry.initial_interval = milliseconds(5);
  c.retry.max_interval = milliseconds(20);
  c.retry.max_elapsed_time = milliseconds(2000);
  c.queue.num_consumers = 2;
  c.queue.queue_size = 10;
  return c;
}

// An exporter "test" whose requests are their span counts, sending through
// a new Sender (ScriptedSender or LateAnswerSender).
template <typename Sender>
std::unique_ptr<QueuedExporter> Make(ExporterHelperConfig c, Sender** sender_out,
                                     testing::TestHost& host) {
  auto sender = std::make_unique<Sender>();
  *sender_out = sender.get();
  Settings s;
  s.id = {"test", ""};
  s.logger = MakeLogger("exporter/test");
  auto e = std::make_unique<QueuedExporter>(
      s, c, [](const Traces& t) { return std::to_string(t.SpanCount()); }, std::move(sender));
  EXPECT_TRUE(e->Start(host).ok());
  return e;
}

// The answer to a send is read when the sending thread takes its next
// request, not as soon as it comes: the thread is not woken for it.
TEST(QueuedExporterTest, AnAnswerIsReadWhenTheNextRequestIsTaken) {
  testing::TestHost host;
  ExporterHelperConfig c = FastConfig();
  c.queue.num_consumers = 1;
  c.timeout = milliseconds(10000);  // the answer's read waits up to kAnswerReadDelay
  LateAnswerSender* sender;
  auto e = Make(c, &sender, host);
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
  ASSERT_TRUE(sender->WaitFor("begin 1", milliseconds(5000)));
  // Left unread (it would be read at once otherwise): 300 ms of a 1 s delay.
  EXPECT_FALSE(sender->WaitFor("answer 1", milliseconds(300)));
  sender->Note("offer 2");
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 2)).ok());
  ASSERT_TRUE(sender->WaitFor("begin 2", milliseconds(5000)));
  EXPECT_EQ(sender->events(),
            std::vector<std::string>({"begin 1", "offer 2", "answer 1", "begin 2"}));
  e->Shutdown();
  EXPECT_EQ(host.MetricValue("otelcol_exporter_sent_spans{exporter=\"test\"}"), 3);
}

// With nothing more to send, an answer is read within kAnswerReadDelay (1 s).
TEST(QueuedExporterTest, AnAnswerIsReadWithinASecondWhenNothingElseIsSent) {
  testing::TestHost host;
  LateAnswerSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 4)).ok());
  ASSERT_TRUE(sender->WaitFor("answer 4", milliseconds(5000)));
  // The attempt's timeout (500 ms here) bounds the delay too.
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (host.MetricValue("otelcol_exporter_sent_spans{exporter=\"test\"}") < 4 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(host.MetricValue("otelcol_exporter_sent_spans{exporter=\"test\"}"), 4);
  e->Shutdown();
}

// A failure read late is retried as one read at once is.
TEST(QueuedExporterTest, AFailureReadLateIsRetried) {
  testing::TestHost host;
  LateAnswerSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  sender->Answer({Status::Unavailable("busy")});
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 5)).ok());
  ASSERT_TRUE(sender->WaitFor("send 5", milliseconds(5000)));
  EXPECT_EQ(sender->events(), std::vector<std::string>({"begin 5", "answer 5", "send 5"}));
  e->Shutdown();
  EXPECT_EQ(host.MetricValue("otelcol_exporter_sent_spans{exporter=\"test\"}"), 5);
  EXPECT_EQ(host.MetricValue("polytrace_exporter_send_retries{exporter=\"test\"}"), 1);
}

// Shutdown reads the answers left unread: nothing sent is counted lost.
TEST(QueuedExporterTest, ShutdownReadsTheAnswersLeftUnread) {
  testing::TestHost host;
  LateAnswerSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 6)).ok());
  ASSERT_TRUE(sender->WaitFor("begin 6", milliseconds(5000)));
  e->Shutdown();
  EXPECT_EQ(sender->events(), std::vector<std::string>({"begin 6", "answer 6"}));
  EXPECT_EQ(host.MetricValue("otelcol_exporter_sent_spans{exporter=\"test\"}"), 6);
  EXPECT_EQ(host.MetricValue("otelcol_exporter_send_failed_spans{exporter=\"test\"}"), 0);
}

TEST(QueuedExporterTest, RetriesRetryableErrorsUntilDelivered) {
  testing::TestHost host;
  ScriptedSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  sender->Script({Status::Unavailable("down"), Status::Unavailable("down")});
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 3)).ok());
  ASSERT_TRUE(sender->WaitDelivered(1, milliseconds(5000)));
  EXPECT_EQ(sender->attempts(), 3);
  e->Shutdown();
  EXPECT_EQ(host.MetricValue("otelcol_exporter_sent_spans{exporter=\"test\"}"), 3);
}

TEST(QueuedExporterTest, HonoursRetryAfter) {
  testing::TestHost host;
  ScriptedSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  sender->Script({Status::ResourceExhausted("slow down").set_retry_after(milliseconds(300))});
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
  ASSERT_TRUE(sender->WaitDelivered(1, milliseconds(5000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));
}

TEST(QueuedExporterTest, PermanentErrorIsDroppedWithoutRetry) {
  testing::TestHost host;
  ScriptedSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  sender->Script({Status::InvalidArgument("bad data")});
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 2)).ok());
  ASSERT_TRUE(sender->WaitAttempts(1, milliseconds(5000)));
  e->Shutdown();
  EXPECT_EQ(sender->attempts(), 1);
  EXPECT_EQ(host.MetricValue("otelcol_exporter_send_failed_spans{exporter=\"test\"}"), 2);
}

TEST(QueuedExporterTest, GivesUpAfterMaxElapsedTime) {
  testing::TestHost host;
  ExporterHelperConfig c = FastConfig();
  c.retry.max_elapsed_time = milliseconds(100);
  ScriptedSender* sender;
  auto e = Make(c, &sender, host);
  sender->Script({}, Status::Unavailable("always down"));
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 4)).ok());
  // Polls the metric with a deadline: the request is dropped once the budget is spent.
  auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (host.MetricValue("otelcol_exporter_send_failed_spans{exporter=\"test\"}") != 4 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(host.MetricValue("otelcol_exporter_send_failed_spans{exporter=\"test\"}"), 4);
  EXPECT_GT(sender->attempts(), 1);
}

TEST(QueuedExporterTest, FullQueueRefusesWithUnavailable) {
  testing::TestHost host;
  ExporterHelperConfig c = FastConfig();
  c.queue.num_consumers = 1;
  c.queue.queue_size = 2;
  c.retry.max_elapsed_time = milliseconds(0);  // retry forever: the queue stays full
  ScriptedSender* sender;
  auto e = Make(c, &sender, host);
  sender->Script({}, Status::Unavailable("down"));
  // The consumer holds the first request (retrying) before the rest come:
  // otherwise, when its thread starts late (it did under ASan in CI), it
  // takes one of them while the calls run and the last one fits.
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
  ASSERT_TRUE(sender->WaitAttempts(1, milliseconds(5000)));
  Status last;
  for (int i = 0; i < 4; ++i) last = e->ConsumeTraces(testing::MakeTraces("s", 1));
  EXPECT_EQ(last.code(), StatusCode::kUnavailable);
  EXPECT_NE(last.message().find("sending queue is full"), std::string::npos);
  EXPECT_GE(host.MetricValue("otelcol_exporter_enqueue_failed_spans{exporter=\"test\"}"), 1);
}

TEST(QueuedExporterTest, PersistentQueueSurvivesRestartAndSkipsTornFiles) {
  std::string dir = ::testing::TempDir() + "/pq_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  DirStorage storage(dir);
  ExporterHelperConfig c = FastConfig();
  c.queue.storage = "file_storage";
  c.queue.num_consumers = 1;
  c.retry.max_elapsed_time = milliseconds(0);
  {
    testing::TestHost host;
    host.AddExtension("file_storage", &storage);
    ScriptedSender* sender;
    auto e = Make(c, &sender, host);
    sender->Script({}, Status::Unavailable("down"));
    ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 7)).ok());
    ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 5)).ok());
    ASSERT_TRUE(sender->WaitAttempts(1, milliseconds(5000)));
    e->Shutdown();
  }
  // A write that never completed (a .tmp) and a damaged file must not be sent.
  std::ofstream(dir + "/exporter_test/00000000000000000099.req.tmp") << "partial";
  std::ofstream(dir + "/exporter_test/00000000000000000098.req") << "PTQ1 garbage";
  // Someone else's file in the directory is left alone, not a crash at start.
  std::ofstream(dir + "/exporter_test/notes.req") << "PTQ1 mine";
  testing::TestHost host;
  host.AddExtension("file_storage", &storage);
  ScriptedSender* sender;
  auto e = Make(c, &sender, host);
  ASSERT_TRUE(sender->WaitDelivered(2, milliseconds(5000)));
  EXPECT_EQ(sender->delivered(), std::vector<std::string>({"7", "5"}));
  e->Shutdown();
  EXPECT_TRUE(std::filesystem::exists(dir + "/exporter_test/00000000000000000098.req.corrupt"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/exporter_test/00000000000000000099.req.tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/exporter_test/notes.req"));
  std::filesystem::remove_all(dir);
}

TEST(QueuedExporterTest, WithoutQueueTheCallerGetsTheOutcome) {
  testing::TestHost host;
  ExporterHelperConfig c = FastConfig();
  c.queue.enabled = false;
  c.retry.enabled = false;
  ScriptedSender* sender;
  auto e = Make(c, &sender, host);
  sender->Script({Status::Unavailable("down")});
  EXPECT_EQ(e->ConsumeTraces(testing::MakeTraces("s", 1)).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
}

TEST(QueuedExporterTest, ShutdownDrainsTheMemoryQueue) {
  testing::TestHost host;
  ScriptedSender* sender;
  auto e = Make(FastConfig(), &sender, host);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
  e->Shutdown();
  EXPECT_EQ(sender->delivered().size(), 5u);
}

// Under light load the consumer that waited least takes the next request
// (warm), not the one that has waited longest; Close still wakes them all.
TEST(RequestQueueTest, TheLatestIdleConsumerTakesTheNextRequest) {
  RequestQueue queue(10, /*count_spans=*/false, "");
  std::mutex mu;
  std::vector<int> taken_by;  // consumer numbers, in the order they took a request
  std::vector<std::thread> consumers;
  auto idle = [&](size_t n) {
    auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
    while (queue.idle_consumers() != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    return queue.idle_consumers() == n;
  };
  for (int i = 0; i < 3; ++i) {
    consumers.emplace_back([&, i] {
      while (auto r = queue.Take()) {
        std::lock_guard<std::mutex> lock(mu);
        taken_by.push_back(i);
      }
    });
    ASSERT_TRUE(idle(i + 1));  // consumer i waits after consumers 0..i-1
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(queue.Offer(ExportRequest{"x", 1, 0}, false).ok());
    ASSERT_TRUE(idle(3));  // the taker is back, now the latest
  }
  queue.Close(/*drain=*/true);
  for (std::thread& t : consumers) t.join();  // every waiter woken
  EXPECT_EQ(taken_by, std::vector<int>({2, 2, 2}));
}

TEST(RequestQueueTest, TakeUntilGivesUpAtItsDeadline) {
  RequestQueue queue(10, /*count_spans=*/false, "");
  bool timed_out = false;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(queue.TakeUntil(start + milliseconds(50), &timed_out));
  EXPECT_TRUE(timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));

  std::thread offer([&] {
    while (queue.idle_consumers() == 0) std::this_thread::sleep_for(milliseconds(1));
    ASSERT_TRUE(queue.Offer(ExportRequest{"x", 1, 0}, false).ok());
  });
  auto r = queue.TakeUntil(std::chrono::steady_clock::now() + milliseconds(10000), &timed_out);
  offer.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->payload, "x");
  EXPECT_FALSE(timed_out);

  queue.Close(/*drain=*/true);
  EXPECT_FALSE(queue.TakeUntil(std::chrono::steady_clock::now() + milliseconds(10000), &timed_out));
  EXPECT_FALSE(timed_out);  // closed, not timed out
}

}  // namespace
}  // namespace polytrace

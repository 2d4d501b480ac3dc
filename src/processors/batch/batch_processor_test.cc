#include "processors/batch/batch_processor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "telemetry/logging.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

using std::chrono::milliseconds;

class BatchProcessorTest : public ::testing::Test {
 protected:
  std::unique_ptr<BatchProcessor> Make(BatchConfig config) {
    Settings s;
    s.id = {"batch", ""};
    s.logger = MakeLogger("processor/batch-test");
    auto p = std::make_unique<BatchProcessor>(s, config, &sink_);
    EXPECT_TRUE(p->Start(host_).ok());
    return p;
  }
  // A lone request of `spans`, far below the size trigger (timeout 50 ms):
  // returns the processor once the sink has them, checked to have waited
  // the timeout.
  std::unique_ptr<BatchProcessor> SendAloneAtTimeout(size_t spans) {
    BatchConfig c;
    c.send_batch_size = 1000;
    c.timeout = milliseconds(50);
    auto p = Make(c);
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", spans)).ok());
    EXPECT_TRUE(sink_.WaitForSpans(spans, milliseconds(5000)));
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
    return p;
  }
  // 4 threads, each sending 250 requests of 2 spans, `pause` apart.
  static void RunProducers(BatchProcessor& p, std::chrono::microseconds pause) {
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t) {
      producers.emplace_back([&] {
        for (int i = 0; i < 250; ++i) {
          ASSERT_TRUE(p.ConsumeTraces(testing::MakeTraces("s", 2)).ok());
          if (pause.count() > 0) std::this_thread::sleep_for(pause);
        }
      });
    }
    for (auto& t : producers) t.join();
  }
  testing::TestHost host_;
  testing::TracesSink sink_;
};

TEST_F(BatchProcessorTest, SendsWhenSizeIsReached) {
  BatchConfig c;
  c.send_batch_size = 10;
  c.timeout = std::chrono::hours(1);
  auto p = Make(c);
  ASSERT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", 7)).ok());
  ASSERT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", 3)).ok());
  ASSERT_TRUE(sink_.WaitForSpans(10, milliseconds(5000)));
  EXPECT_EQ(sink_.BatchSizes(), std::vector<size_t>({10}));
  ASSERT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", 2)).ok());
  p->Shutdown();  // flushes the remaining 2
  EXPECT_EQ(sink_.BatchSizes(), std::vector<size_t>({10, 2}));
}

TEST_F(BatchProcessorTest, SendsOnTimeout) {
  auto p = SendAloneAtTimeout(5);
  EXPECT_EQ(host_.MetricValue("otelcol_processor_batch_timeout_trigger_send{processor=\"batch\"}"),
            1);
}

// Under steady traffic the flusher wakes once a timeout (its tick), not also
// at each batch's first span; spans still leave within a timeout.
TEST_F(BatchProcessorTest, SteadyTrafficWakesTheFlusherOnceABatch) {
  BatchConfig c;
  c.send_batch_size = 1000000;
  c.timeout = milliseconds(100);
  auto p = Make(c);
  size_t sent = 0;
  auto end = std::chrono::steady_clock::now() + milliseconds(700);
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
    ++sent;
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_TRUE(sink_.WaitForSpans(sent, milliseconds(5000)));
  size_t batches = sink_.BatchSizes().size();
  EXPECT_GE(batches, 3u);
  // One wake-up per batch (its deadline) and slack; a wake-up at each
  // batch's first span too would double it.
  EXPECT_LE(p->flusher_wakeups(), batches + 3) << batches << " batches";
  // Idle: no timer wakes the flusher.
  uint64_t wakeups = p->flusher_wakeups();
  std::this_thread::sleep_for(milliseconds(350));
  EXPECT_LE(p->flusher_wakeups(), wakeups + 1);
  // The sink may wait (as an exporter without a sending queue): the
  // receivers' threads never sent a batch themselves.
  EXPECT_EQ(host_.MetricValue("polytrace_processor_batch_receiver_sends{processor=\"batch\"}"), 0);
}

// In front of a consumer that only queues, the call that brings the last
// spans expected before a batch's deadline sends the batch itself: calls
// as regular as an SDK's export timer then cost the flusher no wake-up,
// and batching goes on (several calls a batch, none held past the timeout).
TEST_F(BatchProcessorTest, ReceiversSendBatchesWhenNoMoreSpansAreExpectedBeforeTheirTimeout) {
  sink_.SetQueuesWithoutWaiting(true);
  BatchConfig c;
  c.send_batch_size = 1000000;
  c.timeout = milliseconds(400);
  auto p = Make(c);
  // Calls 150 ms apart: a batch takes three (the third one's next would
  // come after the deadline), and that third call sends it.
  const size_t calls = 12;
  size_t late = 0;  // calls a loaded machine delayed enough to change the batching
  auto previous = std::chrono::steady_clock::now();
  for (size_t i = 0; i < calls; ++i) {
    auto now = std::chrono::steady_clock::now();
    if (i > 0 && now - previous > milliseconds(240)) ++late;
    previous = now;
    ASSERT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", 1)).ok());
    std::this_thread::sleep_for(milliseconds(150));
  }
  ASSERT_TRUE(sink_.WaitForSpans(calls, milliseconds(5000)));
  size_t batches = sink_.BatchSizes().size();
  EXPECT_LE(batches, calls / 3 + 1 + 2 * late) << "each batch should hold about three calls";
  double by_receivers =
      host_.MetricValue("polytrace_processor_batch_receiver_sends{processor=\"batch\"}");
  EXPECT_GE(by_receivers + 1 + late, static_cast<double>(batches));
  // The flusher woke for the last batch only (nothing came after it), and
  // for those a late call left to the deadline.
  EXPECT_LE(p->flusher_wakeups(), 1 + late);
}

// A span with no other in sight still leaves at its timeout, by the flusher.
TEST_F(BatchProcessorTest, ALoneSpanLeavesAtItsTimeoutWhenReceiversCouldSend) {
  sink_.SetQueuesWithoutWaiting(true);
  auto p = SendAloneAtTimeout(3);
  EXPECT_EQ(p->flusher_wakeups(), 1u);
  EXPECT_EQ(host_.MetricValue("polytrace_processor_batch_receiver_sends{processor=\"batch\"}"), 0);
}

TEST_F(BatchProcessorTest, SplitsToMaxSize) {
  BatchConfig c;
  c.send_batch_size = 4;
  c.send_batch_max_size = 4;
  c.timeout = std::chrono::hours(1);
  auto p = Make(c);
  ASSERT_TRUE(p->ConsumeTraces(testing::MakeTraces("s", 11)).ok());
  ASSERT_TRUE(sink_.WaitForSpans(8, milliseconds(5000)));
  EXPECT_EQ(sink_.BatchSizes(), std::vector<size_t>({4, 4}));  // 3 < send_batch_size waits
  p->Shutdown();
  EXPECT_EQ(sink_.BatchSizes(), std::vector<size_t>({4, 4, 3}));
}

TEST_F(BatchProcessorTest, ConcurrentProducersLoseNothing) {
  BatchConfig c;
  c.send_batch_size = 100;
  c.timeout = milliseconds(20);
  auto p = Make(c);
  RunProducers(*p, std::chrono::microseconds(0));
  p->Shutdown();
  EXPECT_EQ(sink_.SpanCount(), 2000u);
  for (size_t n : sink_.BatchSizes()) EXPECT_LE(n, 2000u);
}

// Receivers sending batches themselves while the flusher sends full and
// due ones (run under ThreadSanitizer in CI).
TEST_F(BatchProcessorTest, ProducersSendingBatchesThemselvesLoseNothing) {
  sink_.SetQueuesWithoutWaiting(true);
  BatchConfig c;
  c.send_batch_size = 100;
  c.timeout = milliseconds(2);
  auto p = Make(c);
  RunProducers(*p, std::chrono::microseconds(500));
  p->Shutdown();
  EXPECT_EQ(sink_.SpanCount(), 2000u);
  for (size_t n : sink_.BatchSizes()) EXPECT_LE(n, 2000u);
  EXPECT_GT(host_.MetricValue("polytrace_processor_batch_receiver_sends{processor=\"batch\"}"), 0);
}

TEST_F(BatchProcessorTest, RefusesAfterShutdown) {
  auto p = Make(BatchConfig());
  p->Shutdown();
  EXPECT_EQ(p->ConsumeTraces(testing::MakeTraces("s", 1)).code(), StatusCode::kUnavailable);
}

TEST(BatchConfigTest, MaxSizeBelowSizeIsInvalid) {
  BatchConfig c;
  ConfigReader r(YAML::Load("send_batch_size: 512\nsend_batch_max_size: 100\n"), "processors.batch",
                 "c.yaml");
  ASSERT_TRUE(c.Unmarshal(r).ok());
  Status st = c.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("send_batch_max_size (100) must be greater or equal"),
            std::string::npos);
}

TEST(BatchConfigTest, SeedConfigParses) {
  BatchConfig c;
  ConfigReader r(YAML::Load("timeout: 5s\nsend_batch_size: 512\n"), "processors.batch", "c.yaml");
  ASSERT_TRUE(c.Unmarshal(r).ok());
  EXPECT_EQ(c.timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.send_batch_size, 512u);
  EXPECT_TRUE(c.Validate().ok());
}

// A sink standing in for polytrace_store: its Ok means "durable".
class DurableSink : public testing::TracesSink {
 public:
  bool AcknowledgesDurably() const override { return true; }
};

TEST(BatchProcessorDeliveryTest, AcknowledgesOnlyAfterTheDurableConsumerAccepted) {
  testing::TestHost host;
  DurableSink sink;
  Settings s;
  s.id = {"batch", ""};
  s.logger = MakeLogger("processor/batch-test");
  BatchConfig c;
  c.timeout = std::chrono::hours(1);  // would hold spans for an hour in the Collector's mode
  BatchProcessor p(s, c, &sink);
  ASSERT_TRUE(p.Start(host).ok());
  ASSERT_TRUE(p.ConsumeTraces(testing::MakeTraces("s", 5)).ok());
  EXPECT_EQ(sink.SpanCount(), 5u);  // delivered before the Ok, without waiting for the timeout
  sink.RefuseNext(1, Status::Unavailable("disk full"));
  Status refused = p.ConsumeTraces(testing::MakeTraces("s", 3));
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);  // the client learns, and retries
  EXPECT_EQ(refused.message(), "disk full");
  // Concurrent producers share sends and each gets its own answer.
  std::vector<std::thread> producers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    producers.emplace_back([&] {
      for (int j = 0; j < 20; ++j) ok += p.ConsumeTraces(testing::MakeTraces("s", 2)).ok();
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(sink.SpanCount(), 5u + 320u);
  p.Shutdown();
}

}  // namespace
}  // namespace polytrace

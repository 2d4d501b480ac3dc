#include "exporters/polytrace_store/polytrace_store_exporter.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <thread>

#include "telemetry/logging.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

Result<PolytraceStoreConfig> Parse(const std::string& yaml) {
  PolytraceStoreConfig c;
  ConfigReader r(YAML::Load(yaml), "exporters.polytrace_store", "c.yaml");
  if (Status st = c.Unmarshal(r); !st.ok()) return st;
  if (Status st = c.Validate(); !st.ok()) return st;
  return c;
}

TEST(PolytraceStoreConfigTest, ReadsEveryOptionWithItsUnit) {
  auto c = Parse(R"(
directory: /var/lib/polytrace
fsync: always
fsync_interval: 250ms
segment: {max_size_mib: 32, max_duration: 1m, row_group_spans: 4096}
compaction: {window: 30m, interval: 5s, max_mib_per_second: 16, max_segment_size_mib: 512}
retention: {max_age: 24h, max_size_mib: 1024}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const store::StoreOptions& o = c->options;
  EXPECT_EQ(o.directory, "/var/lib/polytrace");
  EXPECT_EQ(o.fsync, store::FsyncPolicy::kAlways);
  EXPECT_EQ(o.fsync_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(o.segment_max_bytes, 32ull << 20);
  EXPECT_EQ(o.segment_max_duration, std::chrono::minutes(1));
  EXPECT_EQ(o.row_group_rows, 4096u);
  EXPECT_EQ(o.compaction_window, std::chrono::minutes(30));
  EXPECT_EQ(o.maintenance_interval, std::chrono::seconds(5));
  EXPECT_EQ(o.compaction_max_bytes_per_second, 16ull << 20);
  EXPECT_EQ(o.compaction_max_segment_bytes, 512ull << 20);
  EXPECT_EQ(o.retention_max_age, std::chrono::hours(24));
  EXPECT_EQ(o.retention_max_bytes, 1024ull << 20);
}

TEST(PolytraceStoreConfigTest, DefaultsAreDocumented) {
  auto c = Parse("{}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->options.directory, "./data");
  EXPECT_EQ(c->options.fsync, store::FsyncPolicy::kInterval);
  EXPECT_EQ(c->options.retention_max_age, std::chrono::hours(72));
}

TEST(PolytraceStoreConfigTest, ErrorsNameTheKey) {
  auto bad_policy = Parse("fsync: sometimes");
  ASSERT_FALSE(bad_policy.ok());
  EXPECT_NE(bad_policy.status().message().find("fsync"), std::string::npos);
  EXPECT_NE(bad_policy.status().message().find("\"sometimes\" is not always, interval or never"),
            std::string::npos)
      << bad_policy.status().message();
  auto unknown = Parse("segment: {max_size: 3}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("max_size"), std::string::npos)
      << unknown.status().message();
  EXPECT_FALSE(Parse("segment: {row_group_spans: 0}").ok());
}

TEST(PolytraceStoreExporterTest, AcknowledgesDurablyAndServesWhatItStored) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ptstore_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto c = Parse("directory: " + dir.string());
  ASSERT_TRUE(c.ok());
  Settings s;
  s.id = {"polytrace_store", ""};
  s.logger = MakeLogger("exporter/polytrace_store");
  PolytraceStoreExporter exporter(s, *c);
  EXPECT_TRUE(exporter.AcknowledgesDurably());
  EXPECT_EQ(exporter.store(), nullptr);  // not started
  EXPECT_EQ(exporter.ConsumeTraces(testing::MakeTraces("svc", 3)).code(), StatusCode::kUnavailable);
  testing::TestHost host;
  ASSERT_TRUE(exporter.Start(host).ok());
  Traces batch = testing::MakeTraces("svc", 3);
  TraceId id = batch.resource_spans()[0].scope_spans[0].spans[0].trace_id;
  ASSERT_TRUE(exporter.ConsumeTraces(std::move(batch)).ok());
  ASSERT_NE(exporter.store(), nullptr);
  auto stored = exporter.store()->GetTrace(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_GT(stored->SpanCount(), 0u);
  EXPECT_EQ(host.MetricValue("otelcol_exporter_sent_spans{exporter=\"polytrace_store\"}"), 3);
  ASSERT_TRUE(exporter.store()->SealHead().ok());
  // The gauges follow within their refresh period.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (host.MetricValue("polytrace_store_segment_spans{exporter=\"polytrace_store\"}") != 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(host.MetricValue("polytrace_store_segment_spans{exporter=\"polytrace_store\"}"), 3);
  EXPECT_EQ(host.MetricValue("polytrace_store_segments{exporter=\"polytrace_store\"}"), 1);
  EXPECT_EQ(host.MetricValue("polytrace_store_head_spans{exporter=\"polytrace_store\"}"), 0);
  exporter.Shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace polytrace

#include "exporters/otlp/otlp_exporter.h"

#include <gtest/gtest.h>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "receivers/otlp/otlp_receiver.h"
#include "telemetry/logging.h"
#include "testing/kitchen_sink.h"
#include "testing/silent_backend.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

using std::chrono::milliseconds;

// An otlp exporter built from `yaml` and started; null (and a failure) if not.
std::unique_ptr<Exporter> StartExporter(const std::string& yaml, testing::TestHost& host) {
  auto factory = NewOtlpExporterFactory();
  auto config = factory->CreateDefaultConfig();
  ConfigReader r(YAML::Load(yaml), "exporters.otlp", "c.yaml");
  EXPECT_TRUE(config->Unmarshal(r).ok());
  EXPECT_TRUE(config->Validate().ok());
  Settings s;
  s.id = {"otlp", ""};
  s.logger = MakeLogger("exporter/otlp-test");
  auto exporter = factory->CreateTracesExporter(s, *config);
  if (!exporter.ok() || !(*exporter)->Start(host).ok()) {
    ADD_FAILURE() << "the exporter did not start";
    return nullptr;
  }
  return std::move(*exporter);
}

// The exporter talks to polytrace's own OTLP/gRPC receiver: a real server.
TEST(OtlpExporterTest, DeliversToARealGrpcReceiverAndHonoursRetryInfo) {
  testing::TestHost host;
  testing::TracesSink sink;
  OtlpReceiverConfig rc;
  rc.grpc = OtlpGrpcConfig{};
  rc.grpc->endpoint = "127.0.0.1:0";
  Settings rs;
  rs.id = {"otlp", ""};
  rs.logger = MakeLogger("receiver/otlp-exp-test");
  OtlpReceiver receiver(rs, rc, &sink);
  ASSERT_TRUE(receiver.Start(host).ok());
  sink.RefuseNext(1, Status::ResourceExhausted("busy").set_retry_after(milliseconds(400)));

  auto exporter = StartExporter("endpoint: 127.0.0.1:" + std::to_string(receiver.grpc_port()) +
                                    "\ntls: {insecure: true}\nretry_on_failure: "
                                    "{initial_interval: 10ms}\n",
                                host);
  ASSERT_TRUE(exporter != nullptr);

  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(exporter->ConsumeTraces(testing::MakeKitchenSinkTraces()).ok());
  // The first attempt is refused with RetryInfo(400ms); the retry waits for it.
  ASSERT_TRUE(sink.WaitForSpans(6, milliseconds(10000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(400));
  sink.Inspect([](const std::vector<Traces>& b) {
    EXPECT_EQ(otlp::EncodeTracesJson(b[0]),
              otlp::EncodeTracesJson(testing::MakeKitchenSinkTraces()));
  });
  exporter->Shutdown();
  receiver.Shutdown();
}

// Issue #12: shutdown ends within its 5 s budget whatever the backend does;
// here it accepts the connection and never speaks HTTP/2 back.
TEST(OtlpExporterTest, ShutdownEndsWithinItsBudgetWhenTheBackendNeverAnswers) {
  testing::SilentBackend backend;
  testing::TestHost host;
  auto exporter = StartExporter(
      "endpoint: " + backend.address() + "\ntls: {insecure: true}\ntimeout: 30s\n", host);
  ASSERT_TRUE(exporter != nullptr);
  ASSERT_TRUE(exporter->ConsumeTraces(testing::MakeKitchenSinkTraces()).ok());
  ASSERT_TRUE(backend.WaitForBytes(milliseconds(5000)));
  auto start = std::chrono::steady_clock::now();
  exporter->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(6500));
  EXPECT_EQ(host.MetricValue("otelcol_exporter_send_failed_spans{exporter=\"otlp\"}"), 6);
}

TEST(OtlpExporterTest, ParsesRetryInfo) {
  std::string details = otlp::EncodeRpcStatusWithRetryInfoProto(8, "x", 2500);
  auto delay = RetryDelayFromStatusDetails(details);
  ASSERT_TRUE(delay.has_value());
  EXPECT_EQ(*delay, milliseconds(2500));
  EXPECT_FALSE(RetryDelayFromStatusDetails(otlp::EncodeRpcStatusProto(8, "x")).has_value());
}

TEST(OtlpExporterTest, EndpointIsRequired) {
  OtlpGrpcExporterConfig c;
  EXPECT_FALSE(c.Validate().ok());
}

}  // namespace
}  // namespace polytrace

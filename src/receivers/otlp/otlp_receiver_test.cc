#include "receivers/otlp/otlp_receiver.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>

#include "compression/compression.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "telemetry/logging.h"
#include "testing/kitchen_sink.h"
#include "testing/raw_http_client.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

using testing::RawHttpClient;
using testing::RawResponse;

// Every test runs twice: with a pipeline that reads spans (requests are
// decoded) and with one that only forwards them (requests are only checked,
// Traces::SetUndecoded). Clients must not be able to tell the difference.
class OtlpReceiverTest : public ::testing::TestWithParam<bool> {
 protected:
  bool decodes() const { return GetParam(); }
  void SetUp() override {
    sink_.SetNeedsSpans(decodes());
    OtlpReceiverConfig config;
    config.grpc = OtlpGrpcConfig{};
    config.grpc->endpoint = "127.0.0.1:0";
    config.http = OtlpHttpConfig{};
    config.http->endpoint = "127.0.0.1:0";
    config.http->max_request_body_size = 1 << 20;
    config.http->cors.allowed_origins = {"https://*.example.com"};
    Settings settings;
    settings.id = {"otlp", ""};
    settings.logger = MakeLogger("receiver/otlp-test");
    receiver_ = std::make_unique<OtlpReceiver>(settings, config, &sink_);
    ASSERT_TRUE(receiver_->Start(host_).ok());
  }
  void TearDown() override { receiver_->Shutdown(); }

  RawResponse PostProto(const std::string& body, const std::string& headers = "") {
    RawHttpClient c(receiver_->http_port());
    return c.Post("/v1/traces", "application/x-protobuf", body, headers);
  }

  testing::TestHost host_;
  testing::TracesSink sink_;
  std::unique_ptr<OtlpReceiver> receiver_;
};

TEST_P(OtlpReceiverTest, AcceptsProtobufAndAnswersInProtobuf) {
  RawResponse r = PostProto(otlp::EncodeTracesProto(testing::MakeKitchenSinkTraces()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(r.body, "");  // an empty ExportTraceServiceResponse
  EXPECT_EQ(sink_.SpanCount(), 6u);
  EXPECT_EQ(
      host_.MetricValue("otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"http\"}"),
      6);
  sink_.Inspect([&](const std::vector<Traces>& b) {
    EXPECT_EQ(b[0].decoded(), decodes());
    EXPECT_EQ(b[0].SpanCount(), 6u);
    ASSERT_NE(b[0].wire(), nullptr);  // forwarded as it came, either way
    EXPECT_EQ(otlp::EncodeTracesProto(b[0]),
              otlp::EncodeTracesProto(testing::MakeKitchenSinkTraces()));
    // Reading the spans of an undecoded batch decodes it.
    EXPECT_EQ(otlp::EncodeTracesJson(b[0]),
              otlp::EncodeTracesJson(testing::MakeKitchenSinkTraces()));
    EXPECT_TRUE(b[0].decoded());
  });
}

// Issue #13: an SDK from before OTLP 0.19 sends instrumentation_library_spans;
// skipped as an unknown field, its spans were acknowledged and lost.
TEST_P(OtlpReceiverTest, ReadsTheOtlpBefore019FieldsAndForwardsScopeSpans) {
  std::string current = otlp::EncodeTracesProto(testing::MakeKitchenSinkTraces());
  RawResponse r = PostProto(testing::AsOtlpBefore019(current));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(sink_.SpanCount(), 6u);
  EXPECT_EQ(host_.MetricValue("polytrace_receiver_deprecated_otlp_requests{receiver=\"otlp\","
                              "transport=\"http\"}"),
            1);
  // Forwarded as scope_spans, each scope marked for the trace analysis.
  Traces marked = testing::MakeKitchenSinkTraces();
  for (ResourceSpans& rs : marked.resource_spans()) {
    for (ScopeSpans& ss : rs.scope_spans) {
      ss.scope.attributes.Append(marked.arena(),
                                 {kInstrumentationLibraryAttribute, AnyValue::Bool(true)});
    }
  }
  sink_.Inspect([&](const std::vector<Traces>& b) {
    EXPECT_EQ(b[0].wire(), nullptr);  // the bytes say field 1000: encoded afresh
    EXPECT_EQ(otlp::EncodeTracesProto(b[0]), otlp::EncodeTracesProto(marked));
  });
}

TEST_P(OtlpReceiverTest, AcceptsJsonAndAnswersInJson) {
  RawHttpClient c(receiver_->http_port());
  RawResponse r = c.Post("/v1/traces", "application/json; charset=utf-8",
                         otlp::EncodeTracesJson(testing::MakeKitchenSinkTraces()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(sink_.SpanCount(), 6u);
}

TEST_P(OtlpReceiverTest, AcceptsGzipAndZstdBodies) {
  std::string proto = otlp::EncodeTracesProto(testing::MakeTraces("svc", 3));
  EXPECT_EQ(PostProto(Compress(Compression::kGzip, proto), "Content-Encoding: gzip\r\n").status,
            200);
  EXPECT_EQ(PostProto(Compress(Compression::kZstd, proto), "Content-Encoding: zstd\r\n").status,
            200);
  EXPECT_EQ(sink_.SpanCount(), 6u);
}

TEST_P(OtlpReceiverTest, GzipBombGets413AndTheServerStaysUp) {
  std::string bomb = Compress(Compression::kGzip, std::string(64 << 20, 'a'));
  RawResponse r = PostProto(bomb, "Content-Encoding: gzip\r\n");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(PostProto(otlp::EncodeTracesProto(testing::MakeTraces("svc", 1))).status, 200);
}

TEST_P(OtlpReceiverTest, OversizedBodyGets413BeforeItIsSent) {
  RawHttpClient c(receiver_->http_port());
  c.Send(
      "POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Length: 2097152\r\n\r\n");
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("exceeds the limit of 1048576 bytes"), std::string::npos) << r.body;
}

TEST_P(OtlpReceiverTest, GarbageProtobufGets400WithRpcStatus) {
  RawResponse r = PostProto("\x0a\xff\xff\xff\x0f garbage");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("Content-Type"), "application/x-protobuf");
  EXPECT_NE(r.body.find("invalid OTLP protobuf request: resource_spans: truncated field"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(sink_.SpanCount(), 0u);
}

TEST_P(OtlpReceiverTest, InvalidJsonGets400InJson) {
  RawHttpClient c(receiver_->http_port());
  RawResponse r = c.Post("/v1/traces", "application/json", "{\"resourceSpans\": [");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("{\"code\":3,\"message\":\"invalid OTLP JSON request: invalid JSON", 0),
            0u)
      << r.body;
}

TEST_P(OtlpReceiverTest, ZeroTraceIdIsAPartialSuccess) {
  Traces t = testing::MakeTraces("svc", 3);
  t.resource_spans()[0].scope_spans[0].spans[1].trace_id = TraceId();
  RawHttpClient c(receiver_->http_port());
  RawResponse r = c.Post("/v1/traces", "application/json", otlp::EncodeTracesJson(t));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"rejectedSpans\":\"1\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("trace_id is all zero"), std::string::npos) << r.body;
  EXPECT_EQ(sink_.SpanCount(), 2u);
}

TEST_P(OtlpReceiverTest, ZeroSpanIdInProtobufIsAPartialSuccess) {
  Traces t = testing::MakeTraces("svc", 3);
  t.resource_spans()[0].scope_spans[0].spans[2].span_id = SpanId();
  RawResponse r = PostProto(otlp::EncodeTracesProto(t));
  EXPECT_EQ(r.status, 200);
  int64_t rejected = 0;
  std::string message;
  ASSERT_TRUE(otlp::DecodeExportResponseProto(r.body, &rejected, &message).ok());
  EXPECT_EQ(rejected, 1);
  EXPECT_NE(message.find("span_id is all zero"), std::string::npos) << message;
  EXPECT_EQ(sink_.SpanCount(), 2u);
  sink_.Inspect([](const std::vector<Traces>& b) {
    EXPECT_EQ(b[0].wire(), nullptr);  // no longer the request: one span is gone
  });
}

TEST_P(OtlpReceiverTest, WrongContentTypeGets415) {
  RawHttpClient c(receiver_->http_port());
  RawResponse r = c.Post("/v1/traces", "text/plain", "hello");
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("application/x-protobuf"), std::string::npos);
}

TEST_P(OtlpReceiverTest, GetGets405AndLogsGets404) {
  RawHttpClient c(receiver_->http_port());
  c.Send("GET /v1/traces HTTP/1.1\r\nHost: localhost\r\n\r\n");
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "POST, OPTIONS");
  r = c.Post("/v1/logs", "application/x-protobuf", "");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("traces only"), std::string::npos);
}

TEST_P(OtlpReceiverTest, RefusalUnderPressureGets429WithRetryAfter) {
  sink_.SetResponse(
      Status::ResourceExhausted("memory limit").set_retry_after(std::chrono::milliseconds(2500)));
  RawResponse r = PostProto(otlp::EncodeTracesProto(testing::MakeTraces("svc", 2)));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "3");
  sink_.SetResponse(Status::Unavailable("queue full"));
  r = PostProto(otlp::EncodeTracesProto(testing::MakeTraces("svc", 2)));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_EQ(
      host_.MetricValue("otelcol_receiver_refused_spans{receiver=\"otlp\",transport=\"http\"}"), 4);
}

TEST_P(OtlpReceiverTest, CorsPreflightAndSimpleRequest) {
  RawHttpClient c(receiver_->http_port());
  c.Send(
      "OPTIONS /v1/traces HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example.com\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n");
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(r.Header("Access-Control-Allow-Methods"), "POST");
  c.Send("OPTIONS /v1/traces HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.test\r\n\r\n");
  r = c.Read();
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "");
}

// --- gRPC ---

constexpr char kExport[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// grpc++ (the client here) shuts its library down when its last channel
// goes, joining a thread that may sleep for 10 s: kept up for the process.
const bool kGrpcKeptUp = (grpc_init(), true);

grpc::Status CallExport(int port, const std::string& payload, std::string* response,
                        bool gzip = false, const char* method = kExport) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  grpc::Slice slice(payload);
  grpc::ByteBuffer request(&slice, 1), reply;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &reply,
                 [&](grpc::Status s) { done.set_value(s); });
  grpc::Status st = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (st.ok() && reply.Dump(&slices).ok()) {
    for (auto& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return st;
}

TEST_P(OtlpReceiverTest, GrpcExportPlainAndGzip) {
  std::string payload = otlp::EncodeTracesProto(testing::MakeKitchenSinkTraces());
  std::string response;
  EXPECT_TRUE(CallExport(receiver_->grpc_port(), payload, &response).ok());
  EXPECT_TRUE(CallExport(receiver_->grpc_port(), payload, &response, true).ok());
  EXPECT_EQ(sink_.SpanCount(), 12u);
}

TEST_P(OtlpReceiverTest, GrpcBadDataIsInvalidArgument) {
  std::string response;
  grpc::Status st = CallExport(receiver_->grpc_port(), "\x0a\x05\x12", &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("resource_spans"), std::string::npos);
}

TEST_P(OtlpReceiverTest, GrpcRefusalCarriesRetryInfo) {
  sink_.SetResponse(Status::ResourceExhausted("memory limit"));
  std::string response;
  grpc::Status st = CallExport(receiver_->grpc_port(),
                               otlp::EncodeTracesProto(testing::MakeTraces("svc", 1)), &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(st.error_details().find("type.googleapis.com/google.rpc.RetryInfo"), std::string::npos);
  sink_.SetResponse(Status::Unavailable("queue full"));
  st = CallExport(receiver_->grpc_port(), otlp::EncodeTracesProto(testing::MakeTraces("svc", 1)),
                  &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_P(OtlpReceiverTest, GrpcOtherMethodIsUnimplemented) {
  std::string response;
  grpc::Status st = CallExport(receiver_->grpc_port(), "", &response, false,
                               "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_P(OtlpReceiverTest, GrpcMessageOverTheLimitIsRefused) {
  std::string response;
  grpc::Status st = CallExport(receiver_->grpc_port(), std::string(5 << 20, '\0'), &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(sink_.SpanCount(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Pipelines, OtlpReceiverTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Decoding" : "Forwarding";
                         });

TEST(OtlpReceiverConfigTest, UnknownProtocolKeyNamesThePath) {
  OtlpReceiverConfig config;
  ConfigReader r(YAML::Load("protocols:\n  http:\n    endpont: x\n"), "receivers.otlp", "c.yaml");
  Status st = config.Unmarshal(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "c.yaml:3:5: receivers.otlp.protocols.http.endpont: unknown key \"endpont\"");
}

TEST(OtlpReceiverConfigTest, NeedsAProtocol) {
  OtlpReceiverConfig config;
  ConfigReader r(YAML::Load("protocols: {}\n"), "receivers.otlp", "c.yaml");
  Status st = config.Unmarshal(r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("at least one protocol"), std::string::npos);
}

TEST(OtlpReceiverConfigTest, SeedStyleConfigEnablesBoth) {
  OtlpReceiverConfig config;
  ConfigReader r(YAML::Load("protocols:\n  http:\n    endpoint: 0.0.0.0:4318\n  grpc:\n"),
                 "receivers.otlp", "c.yaml");
  ASSERT_TRUE(config.Unmarshal(r).ok());
  ASSERT_TRUE(config.grpc && config.http);
  EXPECT_EQ(config.grpc->endpoint, "localhost:4317");
  EXPECT_EQ(config.http->endpoint, "0.0.0.0:4318");
  EXPECT_EQ(config.http->max_request_body_size, 20u << 20);
}

}  // namespace
}  // namespace polytrace

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "verify/verifier.h"
#include "verify/verify_report.h"

namespace polytrace::verify {
namespace {

constexpr uint64_t kMs = 1'000'000;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("api-gateway", "go", 1, 0, "GET /checkout", SpanKind::kServer, 0, 300, {});
    Add("api-gateway", "go", 2, 1, "POST", SpanKind::kClient, 10, 200, {});
    Add("payment-service", "java", 3, 2, "POST /pay", SpanKind::kServer, 12, 190, {});
    Add("payment-service", "java", 4, 3, "process-payment", SpanKind::kInternal, 20, 100,
        {{"payment.currency", AnyValue::String("USD")},
         {"payment.amount", AnyValue::Double(42.5)},
         {"payment.status", AnyValue::String("approved")}});
    trace_ = analysis::AssembleTrace(traces_);
    analysis_ = analysis::AnalyzeTrace(trace_);
  }

  void Add(std::string_view service, std::string_view language, uint8_t id, uint8_t parent,
           std::string_view name, SpanKind kind, uint64_t start_ms, uint64_t duration_ms,
           std::vector<KeyValue> attributes, std::string_view version = "1.0.0") {
    Arena& a = traces_.arena();
    ResourceSpans& rs = traces_.resource_spans().Append(a);
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(service)});
    if (!version.empty()) {
      rs.resource.attributes.Append(a, {"service.version", AnyValue::String(version)});
    }
    rs.resource.attributes.Append(a, {"telemetry.sdk.language", AnyValue::String(language)});
    Span& s = rs.scope_spans.Append(a).spans.Append(a);
    s.trace_id.bytes[15] = 1;
    s.span_id.bytes[7] = id;
    s.parent_span_id.bytes[7] = parent;
    s.name = name;
    s.kind = kind;
    s.start_time_unix_nano = 1'700'000'000'000 * kMs + start_ms * kMs;
    s.end_time_unix_nano = s.start_time_unix_nano + duration_ms * kMs;
    for (const KeyValue& kv : attributes) s.attributes.Append(a, kv);
  }

  std::string WriteFile(std::string_view text) {
    std::string path = (std::filesystem::temp_directory_path() /
                        ("verify_test_" + std::to_string(::getpid()) + ".yaml"))
                           .string();
    std::ofstream(path) << text;
    return path;
  }

  const CheckResult* Find(const TraceVerdict& v, std::string_view prefix) {
    for (const CheckResult& c : v.checks) {
      if (c.name.starts_with(prefix)) return &c;
    }
    return nullptr;
  }

  Traces traces_;
  analysis::AssembledTrace trace_;
  analysis::TraceAnalysis analysis_;
};

TEST_F(VerifyTest, YamlExpectationsPassOnAHealthyTrace) {
  Expectations e;
  std::string path = WriteFile(R"(
services: [api-gateway, payment-service]
languages: [go, java]
min_spans: 4
max_duration: 1s
clock_skew_tolerance: 10ms
expect:
  - span: process-payment
    service: payment-service
    kind: internal
    count: 1
    attributes:
      payment.currency: USD
      payment.amount: {exists: true}
      payment.status: {regex: "^(approved|declined)$"}
    max_duration: 2s
)");
  ASSERT_TRUE(LoadExpectationsFile(path, &e).ok());
  EXPECT_EQ(e.analysis.skew_tolerance_nanos, 10 * kMs);
  TraceVerdict v = VerifyTrace(trace_, analysis_, e);
  for (const CheckResult& c : v.checks) {
    EXPECT_TRUE(c.ok) << c.name << ": " << (c.problems.empty() ? "" : c.problems[0]);
  }
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.checks.size(), 12u);
  std::ostringstream text;
  PrintVerdict(v, text);
  EXPECT_NE(text.str().find("PASS  span payment-service/process-payment (internal), "
                            "payment.currency = \"USD\""),
            std::string::npos)
      << text.str();
  std::filesystem::remove(path);
}

TEST_F(VerifyTest, FailuresNameTheSpanAndTheValue) {
  Expectations e;
  e.services = {"api-gateway", "notification-service"};
  e.languages = {"nodejs"};
  e.max_spans = 3;
  ASSERT_TRUE(AddAttributeFlag("process-payment:payment.currency=EUR", &e).ok());
  ASSERT_TRUE(
      AddAttributeFlag("payment-service/process-payment:payment.status=~^declined$", &e).ok());
  ASSERT_TRUE(AddSpanFlag("charge-card", &e).ok());
  TraceVerdict v = VerifyTrace(trace_, analysis_, e);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(Find(v, "services present")->problems,
            std::vector<std::string>{"no span from notification-service"});
  EXPECT_FALSE(Find(v, "languages present")->ok);
  EXPECT_EQ(Find(v, "span count")->problems[0], "4 spans, expected at most 3");
  EXPECT_EQ(Find(v, "span process-payment, payment.currency")->problems[0],
            "internal span 0000000000000004 (payment-service: process-payment): "
            "payment.currency is \"USD\", expected = \"EUR\"");
  EXPECT_EQ(Find(v, "span payment-service/process-payment")->problems[0],
            "internal span 0000000000000004 (payment-service: process-payment): "
            "payment.status is \"approved\", expected =~ /^declined$/");
  EXPECT_EQ(Find(v, "span charge-card")->problems[0], "0 matching span(s), expected at least 1");
  EXPECT_EQ(v.failed(), 6u);

  JsonWriter w;
  WriteVerdictsJson({v}, {}, w);
  EXPECT_NE(w.str().find(R"("ok":false)"), std::string::npos);
  EXPECT_NE(w.str().find(R"("problems":["no span from notification-service"])"), std::string::npos)
      << w.str();
}

TEST_F(VerifyTest, StructuralFindingsBecomeFailedChecks) {
  analysis::Finding f;
  f.kind = analysis::FindingKind::kBrokenPropagation;
  f.service = "notification-service";
  f.peer_service = "payment-service";
  f.other_trace_id = "9a";
  f.message = "propagation broke between payment-service and notification-service: ...";
  analysis_.findings.push_back(f);
  Expectations e;
  e.services = {"notification-service"};
  TraceVerdict v = VerifyTrace(trace_, analysis_, e);
  EXPECT_EQ(Find(v, "services present")->problems[0],
            "no span from notification-service (its spans are in trace 9a: propagation broke "
            "from payment-service)");
  EXPECT_EQ(Find(v, "one trace across every hop")->problems[0], f.message);
  e.allow_broken_propagation = true;
  EXPECT_EQ(Find(VerifyTrace(trace_, analysis_, e), "one trace across every hop"), nullptr);
}

TEST_F(VerifyTest, BadExpectationsAreRejectedWithFileLineAndKey) {
  Expectations e;
  std::string path = WriteFile("services: [a]\nexpect:\n  - span: x\n    kind: sideways\n");
  Status st = LoadExpectationsFile(path, &e);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path + ":4"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("sideways"), std::string::npos) << st.message();

  path = WriteFile("services: [a]\nspans_min: 3\n");
  st = LoadExpectationsFile(path, &e);
  EXPECT_NE(st.message().find(path + ":2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("spans_min"), std::string::npos) << st.message();

  path = WriteFile("expect:\n  - span: x\n    attributes:\n      k: {regex: \"(\"}\n");
  st = LoadExpectationsFile(path, &e);
  EXPECT_NE(st.message().find("invalid regular expression"), std::string::npos) << st.message();
  std::filesystem::remove(path);

  EXPECT_FALSE(AddAttributeFlag("no-colon", &e).ok());
  EXPECT_FALSE(AddAttributeFlag("span:key", &e).ok());
  EXPECT_FALSE(AddAttributeFlag("span:key=~(", &e).ok());
  EXPECT_FALSE(LoadExpectationsFile("/nonexistent/x.yaml", &e).ok());
}

TEST_F(VerifyTest, MixedSdkVersionsFailAndAMissingServiceVersionWarns) {
  // payment-service's instrumentation writes the old HTTP keys, the
  // gateway's the stable ones; a third service sets no service.version.
  Add("api-gateway", "go", 5, 1, "GET", SpanKind::kClient, 30, 20,
      {{"http.request.method", AnyValue::String("GET")},
       {"http.response.status_code", AnyValue::Int(200)}});
  Add("payment-service", "java", 6, 5, "GET /refund", SpanKind::kServer, 31, 18,
      {{"http.method", AnyValue::String("GET")}, {"http.status_code", AnyValue::Int(200)}});
  Add("audit-service", "python", 7, 4, "audit", SpanKind::kInternal, 40, 5, {}, "");
  trace_ = analysis::AssembleTrace(traces_);
  analysis_ = analysis::AnalyzeTrace(trace_);
  Expectations e;
  e.allow_orphans = e.allow_invalid_hops = true;  // audit-service's odd parent is not the point
  TraceVerdict v = VerifyTrace(trace_, analysis_, e);
  const CheckResult* mix = Find(v, "SDK versions agree");
  ASSERT_NE(mix, nullptr);
  EXPECT_FALSE(mix->ok);
  ASSERT_EQ(mix->problems.size(), 1u);
  EXPECT_NE(mix->problems[0].find("payment-service (java) writes the old keys http.method, "
                                  "http.status_code"),
            std::string::npos)
      << mix->problems[0];
  const CheckResult* version = Find(v, "every service has a service.version");
  ASSERT_NE(version, nullptr);
  EXPECT_FALSE(version->ok);
  EXPECT_TRUE(version->warning);
  EXPECT_NE(version->problems[0].find("audit-service (python) sets no service.version"),
            std::string::npos);
  EXPECT_EQ(v.failed(), 1u);  // the mix; the warning does not fail
  EXPECT_EQ(v.warned(), 1u);
  std::ostringstream text;
  PrintVerdict(v, text);
  EXPECT_NE(text.str().find("WARN  every service has a service.version"), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("FAILED: 1 of"), std::string::npos);
  EXPECT_NE(text.str().find("(1 with warnings)"), std::string::npos);

  e.allow_sdk_mix = true;
  v = VerifyTrace(trace_, analysis_, e);
  EXPECT_EQ(Find(v, "SDK versions agree"), nullptr);
  EXPECT_TRUE(v.ok());  // only the warning is left
  e.strict = true;
  v = VerifyTrace(trace_, analysis_, e);
  EXPECT_FALSE(v.ok());
  e.allow_missing_service_version = true;
  v = VerifyTrace(trace_, analysis_, e);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(Find(v, "every service has a service.version"), nullptr);
}

}  // namespace
}  // namespace polytrace::verify

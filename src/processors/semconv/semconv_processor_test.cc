#include "processors/semconv/semconv_processor.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "testing/traces_compare.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

SemconvConfig Parse(const std::string& yaml, Status* status = nullptr) {
  SemconvConfig config;
  ConfigReader r(YAML::Load(yaml), "processors.semconv", "c.yaml");
  Status st = config.Unmarshal(r);
  if (status != nullptr) *status = st;
  return config;
}

std::string Render(const Attributes& attributes) { return testing::RenderAttributes(attributes); }

struct Case {
  Traces traces;
  Span* span;
};

Case MakeSpan(SpanKind kind, std::vector<KeyValue> attributes) {
  Case c{testing::MakeTraces("svc", 1), nullptr};
  Arena& a = c.traces.arena();
  c.span = &c.traces.resource_spans()[0].scope_spans[0].spans[0];
  c.span->kind = kind;
  c.span->attributes.Clear();
  for (const KeyValue& kv : attributes) c.span->attributes.Append(a, kv);
  return c;
}

KeyValue S(std::string_view k, std::string_view v) { return {k, AnyValue::String(v)}; }
KeyValue I(std::string_view k, int64_t v) { return {k, AnyValue::Int(v)}; }

std::string Rewritten(const SemconvConfig& config, SpanKind kind, std::vector<KeyValue> attrs) {
  Case c = MakeSpan(kind, std::move(attrs));
  SemconvProcessor p(config, nullptr);
  p.Rewrite(c.traces.arena(), *c.span);
  return Render(c.span->attributes);
}

TEST(SemconvProcessorTest, OldHttpServerKeysBecomeStable) {
  EXPECT_EQ(
      Rewritten({}, SpanKind::kServer,
                {S("http.method", "GET"), I("http.status_code", 404),
                 S("http.target", "/recommendations?user=alice"), S("http.scheme", "http"),
                 S("http.host", "127.0.0.1:8082"), S("http.route", "/recommendations"),
                 S("net.host.name", "localhost"), I("net.host.port", 8082), S("http.flavor", "1.1"),
                 S("http.server_name", "reco"), S("enduser.id", "alice")}),
      "http.route=\"/recommendations\", http.server_name=\"reco\", "
      "enduser.id=\"alice\", http.request.method=\"GET\", "
      "http.response.status_code=404, url.path=\"/recommendations\", "
      "url.query=\"user=alice\", url.scheme=\"http\", server.address=\"127.0.0.1\", "
      "server.port=8082, network.protocol.version=\"1.1\"");
}

TEST(SemconvProcessorTest, ClientSideAndOtherDomains) {
  EXPECT_EQ(Rewritten({}, SpanKind::kClient,
                      {S("http.method", "POST"), S("http.url", "http://p:8085/charge"),
                       S("net.peer.name", "p"), I("net.peer.port", 8085)}),
            "http.request.method=\"POST\", url.full=\"http://p:8085/charge\", "
            "server.address=\"p\", server.port=8085");
  EXPECT_EQ(Rewritten({}, SpanKind::kClient,
                      {S("db.system", "postgresql"), S("db.statement", "SELECT 1"),
                       S("db.name", "users"), S("db.user", "postgres"), S("net.peer.name", "db")}),
            "db.user=\"postgres\", db.system.name=\"postgresql\", db.query.text=\"SELECT 1\", "
            "db.namespace=\"users\", server.address=\"db\"");
  EXPECT_EQ(Rewritten({}, SpanKind::kProducer,
                      {S("messaging.system", "kafka"), S("messaging.destination", "payments"),
                       S("messaging.operation", "publish"), I("messaging.kafka.partition", 2)}),
            "messaging.system=\"kafka\", messaging.destination.name=\"payments\", "
            "messaging.operation.type=\"send\", messaging.destination.partition.id=\"2\"");
  EXPECT_EQ(
      Rewritten({}, SpanKind::kClient,
                {S("rpc.system", "grpc"), S("rpc.service", "Pay"), I("rpc.grpc.status_code", 14)}),
      "rpc.service=\"Pay\", rpc.system.name=\"grpc\", "
      "rpc.response.status_code=\"UNAVAILABLE\"");
}

TEST(SemconvProcessorTest, DupKeepsBothAndStableKeysAlreadyThereWin) {
  SemconvConfig dup = Parse("http: dup");
  EXPECT_EQ(
      Rewritten(dup, SpanKind::kServer, {S("http.method", "GET"), I("http.status_code", 200)}),
      "http.method=\"GET\", http.status_code=200, http.request.method=\"GET\", "
      "http.response.status_code=200");
  // A span from an SDK in dup mode already carries both: nothing changes in
  // dup mode, and the stable mode only drops the old keys.
  std::vector<KeyValue> both = {S("http.method", "GET"), S("http.request.method", "GET"),
                                I("http.status_code", 200), I("http.response.status_code", 201)};
  EXPECT_EQ(Rewritten(dup, SpanKind::kServer, both),
            "http.method=\"GET\", http.request.method=\"GET\", http.status_code=200, "
            "http.response.status_code=201");
  EXPECT_EQ(Rewritten({}, SpanKind::kServer, both),
            "http.request.method=\"GET\", http.response.status_code=201");
}

TEST(SemconvProcessorTest, NoneLeavesADomainAndBadValuesStay) {
  SemconvConfig config = Parse("db: none\nmessaging: stable");
  EXPECT_EQ(Rewritten(config, SpanKind::kClient, {S("db.statement", "SELECT 1")}),
            "db.statement=\"SELECT 1\"");
  // http.target as an int cannot be split: it stays as it was.
  EXPECT_EQ(Rewritten({}, SpanKind::kServer, {I("http.target", 7), S("http.method", "GET")}),
            "http.target=7, http.request.method=\"GET\"");
  // A span of no domain (no http.*, db.*, ...) keeps even network keys.
  EXPECT_EQ(Rewritten({}, SpanKind::kClient, {S("net.peer.name", "x")}), "net.peer.name=\"x\"");
}

TEST(SemconvProcessorTest, ConfigErrorsNameTheKey) {
  Status st;
  Parse("http: stabel", &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("c.yaml:1:7: processors.semconv.http"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("unknown mode \"stabel\" (stable, dup, none)"), std::string::npos);
}

TEST(SemconvProcessorTest, ConsumeTracesRewritesEverySpanAndPassesOn) {
  testing::TracesSink sink;
  SemconvProcessor p({}, &sink);
  Case c = MakeSpan(SpanKind::kServer, {S("http.method", "GET")});
  ASSERT_TRUE(p.ConsumeTraces(std::move(c.traces)).ok());
  sink.Inspect([](const std::vector<Traces>& batches) {
    ASSERT_EQ(batches.size(), 1u);
    EXPECT_EQ(Render(batches[0].resource_spans()[0].scope_spans[0].spans[0].attributes),
              "http.request.method=\"GET\"");
  });
}

}  // namespace
}  // namespace polytrace

#include <gtest/gtest.h>

#include <map>

#include "analysis/analysis_json.h"
#include "analysis/propagation_formats.h"
#include "analysis/propagation_search.h"
#include "analysis/span_facts.h"
#include "analysis/trace_analysis.h"

namespace polytrace::analysis {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kBase = 1'700'000'000'000 * kMs;

struct SpanSpec {
  uint8_t trace = 1;
  std::string_view service;  // empty: no service.name on the resource
  uint8_t id = 0;
  uint8_t parent = 0;
  std::string_view name;
  SpanKind kind = SpanKind::kInternal;
  uint64_t start_ms = 0;
  uint64_t duration_ms = 0;
  std::vector<KeyValue> attributes = {};
  std::vector<std::pair<uint8_t, uint8_t>> links = {};  // (trace, span)
  std::string_view version = "1.0.0";                   // service.version; empty: none
  StatusCodeValue status = StatusCodeValue::kUnset;
  std::string_view scope = "";  // "name version"
  std::string_view trace_state = "";
  bool old_otlp = false;  // the receiver's mark of OTLP before 0.19
};

TraceId Tid(uint8_t t) {
  TraceId id;
  id.bytes[15] = t;
  return id;
}
SpanId Sid(uint8_t s) {
  SpanId id;
  id.bytes[7] = s;
  return id;
}

void AddSpan(Traces& traces, const SpanSpec& spec) {
  Arena& a = traces.arena();
  ResourceSpans& rs = traces.resource_spans().Append(a);
  if (!spec.service.empty()) {
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(spec.service)});
  }
  rs.resource.attributes.Append(a, {"telemetry.sdk.language", AnyValue::String("go")});
  if (!spec.version.empty()) {
    rs.resource.attributes.Append(a, {"service.version", AnyValue::String(spec.version)});
  }
  ScopeSpans& ss = rs.scope_spans.Append(a);
  if (size_t space = spec.scope.find(' '); space != std::string_view::npos) {
    ss.scope.name = spec.scope.substr(0, space);
    ss.scope.version = spec.scope.substr(space + 1);
  }
  if (spec.old_otlp) {
    ss.scope.attributes.Append(a, {kInstrumentationLibraryAttribute, AnyValue::Bool(true)});
  }
  Span& s = ss.spans.Append(a);
  s.status.code = spec.status;
  s.trace_state = spec.trace_state;
  s.trace_id = Tid(spec.trace);
  s.span_id = Sid(spec.id);
  if (spec.parent != 0) s.parent_span_id = Sid(spec.parent);
  s.name = spec.name;
  s.kind = spec.kind;
  s.start_time_unix_nano = kBase + spec.start_ms * kMs;
  s.end_time_unix_nano = s.start_time_unix_nano + spec.duration_ms * kMs;
  for (const KeyValue& kv : spec.attributes) s.attributes.Append(a, kv);
  for (auto [t, id] : spec.links) {
    SpanLink& l = s.links.Append(a);
    l.trace_id = Tid(t);
    l.span_id = Sid(id);
  }
}

KeyValue Port(int64_t port) { return {"server.port", AnyValue::Int(port)}; }

// The seed's checkout, healthy: gateway -> auth (-> its database),
// gateway -> payment -> (Kafka) -> notification.
std::vector<SpanSpec> Checkout() {
  return {
      {1, "api-gateway", 1, 0, "GET /checkout", SpanKind::kServer, 0, 300, {Port(8080)}},
      {1, "api-gateway", 2, 1, "GET", SpanKind::kClient, 10, 50, {Port(8081)}},
      {1, "auth-service", 3, 2, "GET /auth/verify", SpanKind::kServer, 12, 40, {Port(8081)}},
      {1,
       "auth-service",
       4,
       3,
       "pg.query:SELECT",
       SpanKind::kClient,
       20,
       10,
       {{"net.peer.port", AnyValue::Int(55432)}}},
      {1,
       "api-gateway",
       5,
       1,
       "POST",
       SpanKind::kClient,
       100,
       150,
       {{"url.full", AnyValue::String("http://127.0.0.1:8083/pay")}}},
      {1, "payment-service", 6, 5, "POST /pay", SpanKind::kServer, 102, 140, {Port(8083)}},
      {1,
       "payment-service",
       7,
       6,
       "payments publish",
       SpanKind::kProducer,
       200,
       5,
       {{"messaging.destination.name", AnyValue::String("payments")}}},
      {1,
       "notification-service",
       8,
       7,
       "payments process",
       SpanKind::kConsumer,
       260,
       20,
       {{"messaging.destination.name", AnyValue::String("payments")}}},
  };
}

struct Built {
  Traces traces;
  AssembledTrace trace;
  TraceAnalysis analysis;
};

std::unique_ptr<Built> Analyze(const std::vector<SpanSpec>& specs, AnalysisOptions options = {}) {
  auto b = std::make_unique<Built>();
  for (const SpanSpec& s : specs) AddSpan(b->traces, s);
  b->trace = AssembleTrace(b->traces);
  b->analysis = AnalyzeTrace(b->trace, options);
  return b;
}

std::vector<FindingKind> Kinds(const TraceAnalysis& a) {
  std::vector<FindingKind> kinds;
  for (const Finding& f : a.findings) kinds.push_back(f.kind);
  return kinds;
}

TEST(TraceAnalysisTest, HealthyCheckoutHasNoFindings) {
  auto b = Analyze(Checkout());
  EXPECT_TRUE(b->analysis.findings.empty()) << b->analysis.findings[0].message;
  ASSERT_EQ(b->analysis.services.size(), 4u);
  EXPECT_EQ(b->analysis.services[0].name, "api-gateway");
  EXPECT_EQ(b->analysis.services[0].language, "go");
  EXPECT_EQ(b->analysis.services[0].spans, 3u);
  ASSERT_EQ(b->analysis.hops.size(), 3u);
  for (const Hop& h : b->analysis.hops) EXPECT_TRUE(h.valid) << h.from << "->" << h.to;
  // Only the database call leaves the trace unanswered.
  ASSERT_EQ(b->analysis.unanswered_calls.size(), 1u);
  EXPECT_EQ(b->trace.spans[b->analysis.unanswered_calls[0]].span->name, "pg.query:SELECT");
}

TEST(TraceAnalysisTest, OrphansAndDuplicatesAreNamed) {
  auto specs = Checkout();
  specs.push_back({1, "payment-service", 9, 77, "retry", SpanKind::kInternal, 150, 5});
  specs.push_back({1, "payment-service", 7, 6, "again", SpanKind::kInternal, 201, 1});
  auto b = Analyze(specs);
  auto kinds = Kinds(b->analysis);
  ASSERT_EQ(kinds.size(), 2u);
  EXPECT_EQ(kinds[0], FindingKind::kOrphan);
  EXPECT_NE(b->analysis.findings[0].message.find("0000000000000009"), std::string::npos);
  EXPECT_NE(b->analysis.findings[0].message.find("000000000000004d"), std::string::npos)
      << b->analysis.findings[0].message;
  EXPECT_EQ(kinds[1], FindingKind::kDuplicateSpanId);
}

TEST(TraceAnalysisTest, MissingServiceNameNamesTheCaller) {
  auto specs = Checkout();
  specs[2].service = "unknown_service:node";
  specs[3].service = "unknown_service:node";
  auto b = Analyze(specs);
  ASSERT_EQ(Kinds(b->analysis), std::vector{FindingKind::kMissingServiceName});
  const Finding& f = b->analysis.findings[0];
  EXPECT_EQ(f.service, "unknown_service:node");
  EXPECT_EQ(f.spans.size(), 2u);
  EXPECT_NE(f.message.find("called by api-gateway"), std::string::npos) << f.message;

  specs[2].service = "";
  specs[3].service = "";
  b = Analyze(specs);
  ASSERT_EQ(b->analysis.findings.size(), 1u);
  EXPECT_NE(b->analysis.findings[0].message.find("no service.name at all"), std::string::npos);
}

TEST(TraceAnalysisTest, ClockSkewIsEstimatedPerServicePair) {
  auto specs = Checkout();
  specs[2].start_ms += 1500;  // auth-service's clock 1.5 s ahead
  specs[3].start_ms += 1500;
  auto b = Analyze(specs);
  ASSERT_EQ(Kinds(b->analysis), std::vector{FindingKind::kClockSkew});
  const Finding& f = b->analysis.findings[0];
  EXPECT_EQ(f.service, "auth-service");
  EXPECT_EQ(f.peer_service, "api-gateway");
  // Centred in a 50 ms call with a 40 ms server span: 5 ms each way.
  EXPECT_EQ(f.offset_nanos, int64_t(1500 - 3) * int64_t(kMs));
  EXPECT_NE(f.message.find("auth-service's clock looks 1497.0 ms ahead of api-gateway's"),
            std::string::npos)
      << f.message;
}

TEST(TraceAnalysisTest, SkewWithinToleranceAndAsyncDelaysAreNotFindings) {
  auto specs = Checkout();
  specs[2].start_ms += 15;  // ends 7 ms after its client span: within 50 ms
  specs[3].start_ms += 15;
  specs[7].start_ms += 5000;  // a consumer may run long after its producer
  EXPECT_TRUE(Analyze(specs)->analysis.findings.empty());

  specs[7].start_ms = 100;  // ...but not before it
  auto b = Analyze(specs);
  ASSERT_EQ(Kinds(b->analysis), std::vector{FindingKind::kClockSkew});
  EXPECT_EQ(b->analysis.findings[0].offset_nanos, -100 * int64_t(kMs));
  EXPECT_NE(b->analysis.findings[0].message.find("behind payment-service's"), std::string::npos);

  AnalysisOptions strict;
  strict.skew_tolerance_nanos = 1 * kMs;
  specs[7].start_ms = 260;
  EXPECT_EQ(Kinds(Analyze(specs, strict)->analysis), std::vector{FindingKind::kClockSkew});
}

TEST(TraceAnalysisTest, HopsWithoutClientSpanAndEarlyChildren) {
  auto specs = Checkout();
  specs[5].parent = 1;  // payment's server span hangs off the gateway's server span
  specs.push_back({1, "api-gateway", 10, 1, "early", SpanKind::kInternal, 0, 1});
  specs.back().start_ms = 0;
  auto b = Analyze(specs);
  auto kinds = Kinds(b->analysis);
  ASSERT_EQ(kinds, std::vector{FindingKind::kInvalidHop});
  EXPECT_NE(b->analysis.findings[0].message.find("expected a client span"), std::string::npos);

  specs.back().start_ms = 0;
  specs[0].start_ms = 100;  // the gateway's root now starts after its own child
  specs[0].duration_ms = 200;
  b = Analyze(specs);
  EXPECT_EQ(Kinds(b->analysis)[0], FindingKind::kChildBeforeParent);
}

// An in-memory TraceSource: the unit under test is the search, not a store.
class MapSource : public TraceSource {
 public:
  void Add(const SpanSpec& s) { specs_[s.trace].push_back(s); }
  Result<Traces> GetTrace(const TraceId& id) override {
    ++reads;
    auto it = specs_.find(id.bytes[15]);
    if (it == specs_.end()) return Status::NotFound("no trace");
    Traces t;
    for (const SpanSpec& s : it->second) AddSpan(t, s);
    return t;
  }
  Result<std::vector<TraceId>> FindTraces(SpanKind kind, uint64_t start, uint64_t end,
                                          size_t) override {
    ++searches;
    std::vector<TraceId> ids;
    for (const auto& [t, specs] : specs_) {
      for (const SpanSpec& s : specs) {
        uint64_t at = kBase + s.start_ms * kMs;
        if (s.kind == kind && at >= start && at <= end) {
          ids.push_back(Tid(t));
          break;
        }
      }
    }
    return ids;
  }
  int searches = 0;
  int reads = 0;  // GetTrace calls

 private:
  std::map<uint8_t, std::vector<SpanSpec>> specs_;
};

TEST(PropagationSearchTest, FindsTheDetachedServerAndConsumer) {
  auto specs = Checkout();
  MapSource source;
  // auth-service ignored the context: its server span roots trace 2.
  SpanSpec auth = specs[2];
  auth.trace = 2;
  auth.parent = 0;
  source.Add(auth);
  // The event went out without context: notification roots trace 3.
  SpanSpec consumer = specs[7];
  consumer.trace = 3;
  consumer.parent = 0;
  source.Add(consumer);
  // A concurrent, healthy checkout's root (another port) must not be blamed.
  source.Add({4, "api-gateway", 1, 0, "GET /checkout", SpanKind::kServer, 11, 30, {Port(8080)}});
  specs.erase(specs.begin() + 7);
  specs.erase(specs.begin() + 2, specs.begin() + 4);
  auto b = Analyze(specs);
  ASSERT_EQ(b->analysis.unanswered_calls.size(), 2u);
  ASSERT_TRUE(FindBrokenPropagation(b->trace, source, {}, &b->analysis).ok());
  ASSERT_EQ(b->analysis.findings.size(), 2u);
  const Finding& http = b->analysis.findings[0];
  EXPECT_EQ(http.kind, FindingKind::kBrokenPropagation);
  EXPECT_EQ(http.peer_service, "api-gateway");
  EXPECT_EQ(http.service, "auth-service");
  EXPECT_EQ(http.other_trace_id, Tid(2).ToHex());
  EXPECT_NE(http.message.find("propagation broke between api-gateway and auth-service: server "
                              "span 0000000000000003 (auth-service: GET /auth/verify) is the root "
                              "of trace 00000000000000000000000000000002"),
            std::string::npos)
      << http.message;
  EXPECT_NE(http.message.find("same port 8081"), std::string::npos) << http.message;
  const Finding& kafka = b->analysis.findings[1];
  EXPECT_EQ(kafka.peer_service, "payment-service");
  EXPECT_EQ(kafka.service, "notification-service");
  EXPECT_NE(kafka.message.find("injected into the message"), std::string::npos);
}

TEST(PropagationSearchTest, UninstrumentedPeersAndLinkedConsumersAreNotBroken) {
  auto specs = Checkout();
  MapSource source;
  SpanSpec consumer = specs[7];
  consumer.trace = 3;
  consumer.parent = 0;
  consumer.links = {{1, 7}};  // joined by a link: allowed by the messaging conventions
  source.Add(consumer);
  source.Add({5, "other", 1, 0, "GET /", SpanKind::kServer, 21, 2, {Port(9999)}});
  specs.erase(specs.begin() + 7);
  auto b = Analyze(specs);
  ASSERT_TRUE(FindBrokenPropagation(b->trace, source, {}, &b->analysis).ok());
  EXPECT_TRUE(b->analysis.findings.empty()) << b->analysis.findings[0].message;
  EXPECT_EQ(source.searches, 2);  // the database call and the producer
}

TEST(PropagationSearchTest, ManyCallsToOnePeerCostOneSearchAndSearchesAreBounded) {
  std::vector<SpanSpec> specs = {{1, "api", 1, 0, "GET /", SpanKind::kServer, 0, 1000, {}}};
  for (int i = 0; i < 150; ++i) {  // a database: one port, never an instrumented server
    specs.push_back({1,
                     "api",
                     uint8_t(2 + i),
                     1,
                     "SELECT",
                     SpanKind::kClient,
                     uint64_t(1 + i),
                     1,
                     {Port(5432)}});
  }
  MapSource source;
  auto b = Analyze(specs);
  ASSERT_TRUE(FindBrokenPropagation(b->trace, source, {}, &b->analysis).ok());
  EXPECT_EQ(source.searches, 1);
  EXPECT_FALSE(b->analysis.propagation_search_limited);

  specs.resize(1);
  for (int i = 0; i < 100; ++i) {  // a hundred different peers
    specs.push_back({1,
                     "api",
                     uint8_t(2 + i),
                     1,
                     "GET",
                     SpanKind::kClient,
                     uint64_t(1 + i),
                     1,
                     {Port(9000 + i)}});
  }
  MapSource other;
  // Three healthy traces whose server roots lie in every call's window: each
  // search finds them, and each is read once, not once a search.
  for (uint8_t t = 2; t <= 4; ++t) {
    other.Add({t, "other", 1, 0, "GET /", SpanKind::kServer, 0, 200, {Port(8000)}});
  }
  b = Analyze(specs);
  ASSERT_TRUE(FindBrokenPropagation(b->trace, other, {}, &b->analysis).ok());
  EXPECT_EQ(other.searches, 64);
  EXPECT_EQ(other.reads, 3);
  EXPECT_TRUE(b->analysis.propagation_search_limited);
  EXPECT_TRUE(b->analysis.findings.empty()) << b->analysis.findings[0].message;
}

KeyValue Str(std::string_view k, std::string_view v) { return {k, AnyValue::String(v)}; }
KeyValue Int(std::string_view k, int64_t v) { return {k, AnyValue::Int(v)}; }

std::vector<const Finding*> OfKind(const TraceAnalysis& a, FindingKind kind) {
  std::vector<const Finding*> out;
  for (const Finding& f : a.findings) {
    if (f.kind == kind) out.push_back(&f);
  }
  return out;
}

// The checkout with auth-service's HTTP server span in the old conventions
// (as Node's instrumentation-http writes them by default) and the gateway's
// client spans in the stable ones.
std::vector<SpanSpec> MixedCheckout() {
  auto specs = Checkout();
  specs[1].attributes = {Port(8081), Str("http.request.method", "GET"),
                         Int("http.response.status_code", 200)};
  specs[1].scope = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp 0.72.0";
  specs[2].attributes = {Str("http.method", "GET"), Int("http.status_code", 200),
                         Str("http.target", "/auth/verify"), Int("net.host.port", 8081)};
  specs[2].scope = "@opentelemetry/instrumentation-http 0.208.0";
  return specs;
}

TEST(SdkMixTest, SemconvGenerationsThatDisagreeAreNamedWithTheFix) {
  auto b = Analyze(MixedCheckout());
  ASSERT_EQ(Kinds(b->analysis), std::vector{FindingKind::kSemconvMix})
      << b->analysis.findings[0].message;
  const Finding& f = b->analysis.findings[0];
  EXPECT_EQ(f.service, "auth-service");
  EXPECT_EQ(f.peer_service, "api-gateway");
  for (std::string_view want :
       {"semantic conventions disagree on http", "auth-service (go)",
        "http.method, http.status_code, http.target, net.host.port",
        "@opentelemetry/instrumentation-http 0.208.0", "http.request.method",
        "http.response.status_code", "otelhttp 0.72.0",
        "A search for http.response.status_code misses auth-service's spans (they carry "
        "http.status_code)",
        "OTEL_SEMCONV_STABILITY_OPT_IN=http", "semconv processor"}) {
    EXPECT_NE(f.message.find(want), std::string::npos) << want << "\n" << f.message;
  }
  ASSERT_EQ(f.spans.size(), 2u);
  EXPECT_EQ(b->trace.spans[f.spans[0]].span->name, "GET /auth/verify");
  // The summary carries each service's keys per generation and its scopes.
  const ServiceSummary& auth = b->analysis.services[1];
  ASSERT_EQ(auth.name, "auth-service");
  ASSERT_TRUE(auth.semconv.contains(semconv::Domain::kHttp));
  EXPECT_EQ(auth.semconv.at(semconv::Domain::kHttp).Generation(), "old");
  EXPECT_TRUE(auth.scopes.contains("@opentelemetry/instrumentation-http 0.208.0"));
  EXPECT_EQ(b->analysis.services[0].semconv.at(semconv::Domain::kHttp).Generation(), "stable");
}

TEST(SdkMixTest, OneGenerationOrDuplicatedKeysAreNoMix) {
  auto all_old = MixedCheckout();
  all_old[1].attributes = {Int("net.peer.port", 8081), Str("http.method", "GET")};
  all_old[4].attributes = {Str("http.url", "http://127.0.0.1:8083/pay")};
  EXPECT_TRUE(OfKind(Analyze(all_old)->analysis, FindingKind::kSemconvMix).empty());
  auto dup = MixedCheckout();  // auth-service with http/dup: both generations
  dup[2].attributes.push_back(Str("http.request.method", "GET"));
  dup[2].attributes.push_back(Int("http.response.status_code", 200));
  auto b = Analyze(dup);
  EXPECT_TRUE(OfKind(b->analysis, FindingKind::kSemconvMix).empty());
  EXPECT_EQ(b->analysis.services[1].semconv.at(semconv::Domain::kHttp).Generation(), "dup");
  // Different domains never disagree with each other.
  auto domains = Checkout();
  domains[3].attributes = {Str("db.system", "postgresql"), Str("db.statement", "SELECT 1")};
  domains[1].attributes = {Port(8081), Str("url.full", "http://127.0.0.1:8081/auth/verify")};
  auto d = Analyze(domains);
  EXPECT_TRUE(d->analysis.findings.empty()) << d->analysis.findings[0].message;
}

TEST(SdkMixTest, DatabaseMixAcrossServices) {
  auto specs = Checkout();
  specs[3].attributes = {Str("db.system", "postgresql"), Str("db.statement", "SELECT 1")};
  specs.push_back({1,
                   "payment-service",
                   9,
                   6,
                   "SELECT",
                   SpanKind::kClient,
                   110,
                   5,
                   {Str("db.system.name", "postgresql"), Str("db.query.text", "SELECT 2")}});
  auto b = Analyze(specs);
  auto mix = OfKind(b->analysis, FindingKind::kSemconvMix);
  ASSERT_EQ(mix.size(), 1u);
  EXPECT_NE(mix[0]->message.find("disagree on db"), std::string::npos) << mix[0]->message;
  EXPECT_NE(mix[0]->message.find("A search for db.query.text misses auth-service's spans"),
            std::string::npos)
      << mix[0]->message;
  EXPECT_NE(mix[0]->message.find("OTEL_SEMCONV_STABILITY_OPT_IN=database"), std::string::npos);
}

TEST(SdkMixTest, ServerSpanWith4xxMarkedErrorIsTheOldStatusMapping) {
  auto specs = Checkout();
  specs[2].attributes = {Port(8081), Int("http.response.status_code", 404)};
  specs[2].status = StatusCodeValue::kError;
  specs[2].scope = "old-http-instrumentation 0.9.0";
  auto b = Analyze(specs);
  ASSERT_EQ(Kinds(b->analysis), std::vector{FindingKind::kStatusMapping});
  const Finding& f = b->analysis.findings[0];
  EXPECT_EQ(f.service, "auth-service");
  EXPECT_NE(f.message.find("1 server span(s) that answered HTTP 4xx as ERROR"), std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("HTTP 404"), std::string::npos);
  EXPECT_NE(f.message.find("upgrade old-http-instrumentation 0.9.0"), std::string::npos);
  // A 5xx server error and a 4xx client error are marked ERROR rightly.
  specs[2].attributes = {Port(8081), Str("http.status_code", "503")};
  EXPECT_TRUE(Analyze(specs)->analysis.findings.empty());
  specs[2].status = StatusCodeValue::kUnset;
  specs[1].attributes = {Port(8081), Int("http.response.status_code", 401)};
  specs[1].status = StatusCodeValue::kError;
  EXPECT_TRUE(Analyze(specs)->analysis.findings.empty());
}

TEST(SdkMixTest, OldOtlpTracestateAndServiceVersion) {
  auto specs = Checkout();
  specs[7].old_otlp = true;  // notification-service speaks OTLP before 0.19
  specs[1].trace_state = "vendor=abc";
  specs[2].version = "";
  specs[3].version = "";
  auto b = Analyze(specs);
  auto old = OfKind(b->analysis, FindingKind::kOldOtlp);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0]->service, "notification-service");
  EXPECT_NE(old[0]->message.find("notification-service (go) sends OTLP older than 0.19"),
            std::string::npos)
      << old[0]->message;
  ASSERT_EQ(old[0]->spans.size(), 1u);
  EXPECT_TRUE(b->analysis.services[3].old_otlp);

  auto dropped = OfKind(b->analysis, FindingKind::kTracestateDropped);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0]->service, "auth-service");
  EXPECT_NE(dropped[0]->message.find("carries tracestate \"vendor=abc\""), std::string::npos);

  auto version = OfKind(b->analysis, FindingKind::kMissingServiceVersion);
  ASSERT_EQ(version.size(), 1u);
  EXPECT_EQ(version[0]->service, "auth-service");
  EXPECT_NE(version[0]->message.find("sets no service.version"), std::string::npos);
  EXPECT_EQ(b->analysis.services[0].service_version, "1.0.0");

  specs[2].trace_state = "vendor=abc";  // carried over: fine
  EXPECT_TRUE(OfKind(Analyze(specs)->analysis, FindingKind::kTracestateDropped).empty());
}

struct OneSpan {
  Traces traces;
  Span* span;
};

std::unique_ptr<OneSpan> MakeSpan(uint8_t trace, std::vector<KeyValue> attributes,
                                  std::string_view trace_state = "") {
  auto o = std::make_unique<OneSpan>();
  Arena& a = o->traces.arena();
  o->span = &o->traces.resource_spans().Append(a).scope_spans.Append(a).spans.Append(a);
  o->span->trace_id = Tid(trace);
  o->span->trace_id.bytes[0] = 0xab;  // 128 bits, as the SDKs make
  o->span->span_id = Sid(1);
  o->span->trace_state = trace_state;
  for (const KeyValue& kv : attributes) o->span->attributes.Append(a, kv);
  return o;
}

TEST(PropagationFormatsTest, CapturedHeadersTellWhoSentWhat) {
  auto call = MakeSpan(1, {});
  Arena arena;
  AnyValue b3;
  b3.type = ValueType::kArray;
  b3.array_value.Append(arena, AnyValue::String("80f198ee56343ba8-e457b5a2e4d86bd1-1"));
  auto root = MakeSpan(2, {{"http.request.header.b3", b3}, Str("url.path", "/pay")});
  std::string text = ExplainPropagationFormats(*call->span, "api-gateway", "payment-service",
                                               ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("api-gateway injected B3 single header only"), std::string::npos) << text;
  EXPECT_NE(text.find("b3 (B3 single header), and no traceparent"), std::string::npos) << text;
  EXPECT_NE(text.find("OTEL_PROPAGATORS=tracecontext,baggage,b3multi on payment-service"),
            std::string::npos)
      << text;

  // Old conventions: one string, '_' for '-'.
  root = MakeSpan(2, {Str("http.request.header.x_b3_traceid", "80f198ee56343ba8")});
  text = ExplainPropagationFormats(*call->span, "a", "b", ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("a injected B3 multi-header only"), std::string::npos) << text;

  std::string traceparent = "00-" + call->span->trace_id.ToHex() + "-00f067aa0ba902b7-01";
  root = MakeSpan(2, {Str("http.request.header.traceparent", traceparent)});
  text = ExplainPropagationFormats(*call->span, "a", "b", ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("b received a traceparent carrying this trace's ID"), std::string::npos)
      << text;
  EXPECT_NE(text.find("do not extract W3C Trace Context"), std::string::npos) << text;
}

TEST(PropagationFormatsTest, TracestateAndShortIdsOrNothingToTell) {
  auto call = MakeSpan(1, {}, "vendor=1");
  auto root = MakeSpan(2, {});
  std::string text =
      ExplainPropagationFormats(*call->span, "a", "b", ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("a's call carries tracestate \"vendor=1\""), std::string::npos) << text;

  call = MakeSpan(1, {});
  root->span->trace_id.bytes[0] = 0;  // 64-bit: 0000000000000000xxxxxxxxxxxxxxxx
  text = ExplainPropagationFormats(*call->span, "a", "b", ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("64-bit trace ID"), std::string::npos) << text;

  root = MakeSpan(2, {Str("http.request.header.content-type", "application/json")});
  text = ExplainPropagationFormats(*call->span, "a", "b", ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("cannot be told from the spans"), std::string::npos) << text;
  EXPECT_NE(text.find("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST"),
            std::string::npos);
  call->span->kind = SpanKind::kProducer;  // a message: its headers, not HTTP's
  text = ExplainPropagationFormats(*call->span, "a", "b", ReadPropagationEvidence(*root->span));
  EXPECT_NE(text.find("record the message's propagation headers"), std::string::npos) << text;
}

TEST(SpanFactsTest, KeysAcrossSemconvVersions) {
  EXPECT_EQ(UrlPort("http://127.0.0.1:8082/recommendations?user=a"), "8082");
  EXPECT_EQ(UrlPort("https://example.com/x"), "443");
  EXPECT_EQ(UrlPort("http://user@h:81"), "81");
  EXPECT_EQ(UrlPort("not a url"), std::nullopt);
  EXPECT_TRUE(IsMissingServiceName("unknown_service:java"));
  EXPECT_TRUE(IsMissingServiceName(""));
  EXPECT_FALSE(IsMissingServiceName("payment-service"));
}

TEST(AnalysisJsonTest, CarriesFindingsAndServices) {
  auto specs = Checkout();
  specs[2].start_ms += 1500;
  auto b = Analyze(specs);
  JsonWriter w;
  WriteAnalysisJson(b->trace, b->analysis, w);
  std::string json = w.Take();
  EXPECT_NE(json.find(R"("kind":"clock_skew")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("offsetNanos":1497000000)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"name":"auth-service","missingName":false,"language":"go")"),
            std::string::npos)
      << json;
}

size_t Occurrences(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A big trace's hops and unanswered calls are counted whole and listed up to
// kListedAtMost, its invalid hops first; a small one's are all listed, in order.
TEST(AnalysisJsonTest, ListsAtMostAThousandHopsInvalidOnesFirst) {
  constexpr int kSpans = 3000;
  Traces traces;
  Arena& a = traces.arena();
  ResourceSpans& rs = traces.resource_spans().Append(a);
  ScopeSpans& ss = rs.scope_spans.Append(a);
  for (int i = 0; i < kSpans; ++i) {
    Span& s = ss.spans.Append(a);
    s.trace_id = Tid(1);
    s.span_id.bytes[6] = uint8_t(i >> 8);
    s.span_id.bytes[7] = uint8_t(i + 1);
    s.start_time_unix_nano = kBase + uint64_t(i);
    s.end_time_unix_nano = s.start_time_unix_nano + 1;
  }
  AssembledTrace trace = AssembleTrace(traces);
  auto json_of = [&](int hops, int invalid_from) {
    TraceAnalysis analysis;
    analysis.span_services.assign(kSpans, "svc");
    for (int i = 0; i < hops; ++i) {
      analysis.hops.push_back({i, i + 1, "a", "b", i < invalid_from});
      analysis.unanswered_calls.push_back(i);
    }
    JsonWriter w;
    WriteAnalysisJson(trace, analysis, w);
    return w.Take();
  };
  std::string big = json_of(2500, 2400);  // the last 100 hops are invalid
  EXPECT_NE(big.find(R"("hopsTotal":2500,"invalidHopsTotal":100,"unansweredCallsTotal":2500)"),
            std::string::npos);
  EXPECT_EQ(Occurrences(big, R"("from":"a")"), kListedAtMost);
  EXPECT_EQ(Occurrences(big, R"("valid":false)"), 100u);
  EXPECT_LT(big.find(R"("valid":false)"), big.find(R"("valid":true)"));  // invalid ones first
  EXPECT_EQ(Occurrences(big, R"("service":"svc")"), 2 * kListedAtMost + kListedAtMost);
  std::string small = json_of(10, 5);
  EXPECT_NE(small.find(R"("hopsTotal":10,"invalidHopsTotal":5,"unansweredCallsTotal":10)"),
            std::string::npos);
  EXPECT_EQ(Occurrences(small, R"("from":"a")"), 10u);
  EXPECT_LT(small.find(R"("valid":true)"), small.find(R"("valid":false)"));  // trace order
}

}  // namespace
}  // namespace polytrace::analysis

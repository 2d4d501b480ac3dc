// The Jaeger and Tempo APIs against a fixed data set in a real store, with
// hand-computed expectations.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"
#include "query/analysis_api.h"
#include "query/found_traces.h"
#include "query/jaeger/jaeger_traces_answer.h"
#include "query/query_service.h"
#include "testing/traces_compare.h"

namespace polytrace::query {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kBase = 1'700'000'000'000 * kMs;  // 2023-11-14, in nanoseconds

// GET `target` (path and query), as the HTTP server hands it on.
HttpRequest GetRequest(const std::string& target, std::string accept = "") {
  HttpRequest r;
  r.method = "GET";
  r.target = target;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  if (!accept.empty()) r.headers.emplace_back("accept", std::move(accept));
  return r;
}

TraceId Tid(uint8_t n) {
  TraceId id;
  id.bytes[15] = n;
  id.bytes[0] = 0x10;
  return id;
}

// Trace 1 (t=0):   gw GET /checkout (server, 100ms) -> gw call pay (client, 50ms)
//                  -> pay charge (server, 45ms, ERROR, http.status_code=500)
// Trace 2 (t=10s): gw GET /health (server, 2ms, tenant=blue)
// Trace 3 (t=20s): pay charge (server, 5ms), parent missing (orphan)
class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("query_api_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    OpenStore();
    ASSERT_TRUE(store_ != nullptr);
    Add(Tid(1), 1, 0, "gw", "GET /checkout", SpanKind::kServer, 0, 100, StatusCodeValue::kUnset,
        {});
    Add(Tid(1), 2, 1, "gw", "call pay", SpanKind::kClient, 10, 50, StatusCodeValue::kUnset, {});
    ASSERT_TRUE(store_->SealHead().ok());  // trace 1 spans a segment and the head
    Add(Tid(1), 3, 2, "pay", "charge", SpanKind::kServer, 12, 45, StatusCodeValue::kError,
        {{"http.status_code", AnyValue::Int(500)}});
    Add(Tid(2), 1, 0, "gw", "GET /health", SpanKind::kServer, 10'000, 2, StatusCodeValue::kOk,
        {{"tenant", AnyValue::String("blue")}});
    Add(Tid(3), 1, 9, "pay", "charge", SpanKind::kServer, 20'000, 5, StatusCodeValue::kUnset, {});
    service_ = std::make_unique<QueryService>([this] { return store_.get(); });
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens (or reopens) the store in dir_.
  void OpenStore() {
    store::StoreOptions options;
    options.directory = dir_.string();
    options.fsync = store::FsyncPolicy::kNever;
    options.retention_max_age = std::chrono::milliseconds(0);
    auto logger =
        std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto opened = store::Store::Open(options, logger);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }

  void Add(const TraceId& trace, uint8_t id, uint8_t parent, std::string_view service,
           std::string_view name, SpanKind kind, uint64_t start_ms, uint64_t duration_ms,
           StatusCodeValue status, std::vector<KeyValue> attributes) {
    Traces t;
    Arena& a = t.arena();
    ResourceSpans& rs = t.resource_spans().Append(a);
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(service)});
    ScopeSpans& ss = rs.scope_spans.Append(a);
    ss.scope.name = "test.scope";
    Span& s = ss.spans.Append(a);
    s.trace_id = trace;
    s.span_id.bytes[7] = id;
    s.parent_span_id.bytes[7] = parent;
    s.name = name;
    s.kind = kind;
    s.start_time_unix_nano = kBase + start_ms * kMs;
    s.end_time_unix_nano = kBase + (start_ms + duration_ms) * kMs;
    s.status.code = status;
    for (const KeyValue& kv : attributes) s.attributes.Append(a, kv);
    ASSERT_TRUE(store_->Append(t).ok());
  }

  // A span of its own trace holding one link to (`to`, `to_span`).
  void AddLinking(const TraceId& trace, std::string_view service, uint64_t start_ms,
                  const TraceId& to, uint8_t to_span) {
    Traces t;
    Arena& a = t.arena();
    ResourceSpans& rs = t.resource_spans().Append(a);
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(service)});
    Span& s = rs.scope_spans.Append(a).spans.Append(a);
    s.trace_id = trace;
    s.span_id.bytes[7] = 0x42;
    s.name = "consume batch";
    s.kind = SpanKind::kConsumer;
    s.start_time_unix_nano = kBase + start_ms * kMs;
    s.end_time_unix_nano = s.start_time_unix_nano + kMs;
    SpanLink& link = s.links.Append(a);
    link.trace_id = to;
    link.span_id.bytes[7] = to_span;
    ASSERT_TRUE(store_->Append(t).ok());
  }

  // The answer as the server gets it: a streamed one not read yet.
  HttpResponse Ask(const std::string& target, std::string accept = "") {
    HttpRequest r = GetRequest(target, std::move(accept));
    return service_->Handle(r);
  }

  HttpResponse Get(const std::string& target, std::string accept = "") {
    HttpResponse out = Ask(target, std::move(accept));
    last_streamed_ = static_cast<bool>(out.stream);
    EXPECT_TRUE(out.DrainStream()) << target;
    return out;
  }

  // The trace IDs (last byte) a Jaeger search returns, in order.
  std::vector<int> Search(const std::string& query) {
    HttpResponse r = Get("/api/traces?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<int> out;
    simdjson::dom::parser parser;
    for (simdjson::dom::element t : parser.parse(r.body)["data"].get_array()) {
      std::string_view id = t["traceID"];
      out.push_back(std::stoi(std::string(id.substr(id.size() - 2)), nullptr, 16));
    }
    return out;
  }

  std::vector<int> TraceQL(const std::string& q) {
    std::string encoded;
    for (char c : q)
      encoded += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                             : fmt::format("%{:02X}", c);
    HttpResponse r = Get("/api/search?q=" + encoded);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    std::vector<int> out;
    simdjson::dom::parser parser;
    for (simdjson::dom::element t : parser.parse(r.body)["traces"].get_array()) {
      std::string_view id = t["traceID"];
      out.push_back(std::stoi(std::string(id.substr(id.size() - 2)), nullptr, 16));
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<QueryService> service_;
  bool last_streamed_ = false;  // the last Get's answer came in pieces
};

using V = std::vector<int>;

TEST_F(QueryApiTest, JaegerSearchParameters) {
  EXPECT_EQ(Search("service=gw"), (V{2, 1}));  // newest first
  EXPECT_EQ(Search("service=gw&limit=1"), (V{2}));
  EXPECT_EQ(Search("service=pay"), (V{3, 1}));
  EXPECT_EQ(Search("service=gw&operation=call%20pay"), (V{1}));
  EXPECT_EQ(Search("service=pay&tags=%7B%22http.status_code%22%3A%22500%22%7D"), (V{1}));
  EXPECT_EQ(Search("service=pay&tags=%7B%22http.status_code%22%3A500%7D"),
            (V{1}));  // number in JSON
  EXPECT_EQ(Search("service=gw&tag=tenant:blue"), (V{2}));
  EXPECT_EQ(Search("service=pay&tag=error:true"), (V{1}));  // Jaeger's derived tags: status ...
  EXPECT_EQ(Search("service=gw&tag=otel.status_code:OK"), (V{2}));
  EXPECT_EQ(Search("service=gw&tag=span.kind:client"), (V{1}));  // ... and kind
  EXPECT_EQ(Search("service=gw&minDuration=60ms"), (V{1}));
  EXPECT_EQ(Search("service=gw&maxDuration=10ms"), (V{2}));
  EXPECT_EQ(Search("service=gw&minDuration=1ms&maxDuration=1.5ms"), V{});
  uint64_t t10 = (kBase + 10'000 * kMs) / 1000;
  EXPECT_EQ(Search(fmt::format("service=gw&start={}", t10)), (V{2}));
  EXPECT_EQ(Search(fmt::format("service=gw&end={}", t10 - 1)), (V{1}));
  // The Jaeger UI's custom range: explicit start/end, lookback=custom beside
  // them (and empty duration fields), read as Jaeger reads it.
  EXPECT_EQ(Search(fmt::format("service=gw&start={}&end={}&lookback=custom&minDuration=&"
                               "maxDuration=",
                               t10, t10 + 60'000'000)),
            (V{2}));
  EXPECT_EQ(Search("service=nope"), V{});
  EXPECT_EQ(Search("traceID=10000000000000000000000000000003&traceID=ff"), (V{3}));
  // The ID not stored is named, as Jaeger names it.
  EXPECT_NE(Get("/api/traces?traceID=10000000000000000000000000000003&traceID=ff")
                .body.find(R"("errors":[{"msg":"trace not found","traceID":"00000000000000ff"}])"),
            std::string::npos);
}

// Traces asked by ID that take more than a run in all are streamed a run
// or a big trace's piece at a time, byte for byte as the answer made whole
// (one run). The answer's span budget holds as a search's.
TEST_F(QueryApiTest, TracesByIdStreamedHaveTheBytesOfTheWholeAnswer) {
  const std::vector<TraceId> ids = {Tid(3), Tid(1), Tid(7), Tid(2)};  // 1, 3, 0 and 1 spans
  auto answer = [&](std::vector<TraceId> asked, AnswerBudget* budget, JaegerTracesLimits limits) {
    return AnswerJaegerTraces(*store_, std::move(asked), {}, true, budget, limits);
  };
  Result<HttpResponse> whole = answer(ids, nullptr, {});
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->stream);
  AnswerBudget budget(AnswerBudget::kStreamedAnswerBytes);
  for (JaegerTracesLimits limits : {JaegerTracesLimits{.run_spans = 3},  // runs of 1, 2, 1 traces
                                    JaegerTracesLimits{.run_spans = 2, .piece_spans = 2}}) {
    Result<HttpResponse> streamed = answer(ids, &budget, limits);
    ASSERT_TRUE(streamed.ok());
    ASSERT_TRUE(streamed->stream);
    EXPECT_EQ(budget.in_use(), AnswerBudget::kStreamedAnswerBytes);
    Result<HttpResponse> refused = answer(ids, &budget, limits);
    EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
    ASSERT_TRUE(streamed->DrainStream());
    if (limits.piece_spans > 3) {
      EXPECT_EQ(streamed->body, whole->body);
    } else {  // trace 1 in two pieces: its spans ordered within each
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(streamed->body);
      EXPECT_EQ(doc["data"].get_array().size(), 3u);
      EXPECT_EQ(doc["data"].at(1)["spans"].get_array().size(), 3u);
      EXPECT_EQ(simdjson::minify(doc["errors"]),
                R"([{"msg":"trace not found","traceID":"10000000000000000000000000000007"}])");
    }
    EXPECT_EQ(budget.in_use(), 0u);  // the drained producer is gone, its slot with it
  }
  EXPECT_NE(whole->body.find(R"("total":0,"limit":0,"offset":0,"errors":[{"msg":"trace not found",)"
                             R"("traceID":"10000000000000000000000000000007"}]})"),
            std::string::npos)
      << whole->body;

  auto traces_in = [](const HttpResponse& r) {
    simdjson::dom::parser parser;
    std::vector<int> out;
    for (simdjson::dom::element t : parser.parse(r.body)["data"].get_array()) {
      out.push_back(std::stoi(std::string(std::string_view(t["traceID"]).substr(30)), nullptr, 16));
    }
    return out;
  };
  // Four spans at most: trace 1 (bigger than a run of one span) streamed,
  // trace 2 left out, past them.
  Result<HttpResponse> within = answer(ids, nullptr, {.run_spans = 1, .max_spans = 4});
  ASSERT_TRUE(within.ok());
  ASSERT_TRUE(within->DrainStream());
  EXPECT_EQ(traces_in(*within), (std::vector<int>{3, 1}));
  // Two: only trace 3; and a first trace bigger than them alone is a 422 naming it.
  within = answer(ids, nullptr, {.run_spans = 3, .max_spans = 2});
  ASSERT_TRUE(within.ok());
  ASSERT_TRUE(within->DrainStream());
  EXPECT_EQ(traces_in(*within), (std::vector<int>{3}));
  Result<HttpResponse> too_big = answer({Tid(7), Tid(1), Tid(3)}, nullptr, {.max_spans = 2});
  ASSERT_TRUE(too_big.ok());
  EXPECT_EQ(too_big->status, 422);
  EXPECT_NE(too_big->body.find("10000000000000000000000000000001 has more than 2 spans"),
            std::string::npos)
      << too_big->body;
}

TEST_F(QueryApiTest, JaegerBadParametersAre400WithTheirName) {
  struct Case {
    const char* query;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"operation=x", "parameter 'service' is required"},
           {"service=gw&minDuration=fast",
            "parameter 'minDuration': \\\"fast\\\" is not a duration"},
           {"service=gw&limit=ten", "parameter 'limit': \\\"ten\\\" is not an integer"},
           {"service=gw&tags=%7Bbroken", "parameter 'tags': malformed JSON"},
           {"service=gw&tag=novalue", "parameter 'tag': \\\"novalue\\\" is not key:value"},
           {"service=gw&start=10&end=5", "'start' is after 'end'"},
           {"service=gw&lookback=custom", "parameter 'lookback': \\\"custom\\\" is not a duration"},
           {"traceID=xyz",
            "parameter 'traceID': trace ID \\\"xyz\\\" is not 1 to 32 hexadecimal digits"},
       }) {
    HttpResponse r = Get(std::string("/api/traces?") + c.query);
    EXPECT_EQ(r.status, 400) << c.query;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.query << ": " << r.body;
    EXPECT_NE(r.body.find("\"code\":400"), std::string::npos) << r.body;
  }
}

TEST_F(QueryApiTest, JaegerServicesOperationsDependencies) {
  EXPECT_EQ(Get("/api/services").body,
            R"({"data":["gw","pay"],"total":2,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(
      Get("/api/services/gw/operations").body,
      R"({"data":["GET /checkout","GET /health","call pay"],"total":3,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(
      Get("/api/operations?service=gw&spanKind=client").body,
      R"({"data":[{"name":"call pay","spanKind":"client"}],"total":1,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(Get("/api/operations?service=gw&spanKind=sideways").status, 400);
  uint64_t end_ms = (kBase + 30'000 * kMs) / kMs;
  EXPECT_EQ(
      Get(fmt::format("/api/dependencies?endTs={}&lookback=60000", end_ms)).body,
      R"({"data":[{"parent":"gw","child":"pay","callCount":1}],"total":0,"limit":0,"offset":0,"errors":null})");
}

TEST_F(QueryApiTest, JaegerTraceAssemblesAcrossSegmentAndHead) {
  HttpResponse r = Get("/api/traces/10000000000000000000000000000001");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element trace = parser.parse(r.body)["data"].at(0);
  ASSERT_EQ(trace["spans"].get_array().size(), 3u);
  simdjson::dom::element charge = trace["spans"].at(2);
  EXPECT_EQ(std::string_view(charge["operationName"]), "charge");
  EXPECT_EQ(std::string_view(charge["references"].at(0)["refType"]), "CHILD_OF");
  EXPECT_EQ(std::string_view(charge["references"].at(0)["spanID"]), "0000000000000002");
  EXPECT_EQ(uint64_t(charge["duration"]), 45'000u);
  EXPECT_EQ(uint64_t(charge["startTime"]), (kBase + 12 * kMs) / 1000);
  std::set<std::string> tags;
  for (simdjson::dom::element tag : charge["tags"].get_array()) tags.insert(simdjson::minify(tag));
  EXPECT_TRUE(tags.count(R"({"key":"http.status_code","type":"int64","value":500})"));
  EXPECT_TRUE(tags.count(R"({"key":"error","type":"bool","value":true})"));
  EXPECT_TRUE(tags.count(R"({"key":"span.kind","type":"string","value":"server"})"));
  EXPECT_TRUE(tags.count(R"({"key":"otel.scope.name","type":"string","value":"test.scope"})"));
  std::string_view process = charge["processID"];
  EXPECT_EQ(std::string_view(trace["processes"][process]["serviceName"]), "pay");
  // As Jaeger's query service answers: tags (attributes and the derived ones) in key order, no
  // "flags" (Jaeger v2 never carries OTLP's over).
  std::vector<std::string> keys;
  for (simdjson::dom::element tag : charge["tags"].get_array())
    keys.emplace_back(std::string_view(tag["key"]));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end())) << simdjson::minify(charge["tags"]);
  EXPECT_EQ(charge["flags"].error(), simdjson::NO_SUCH_FIELD);
}

// Jaeger sorts a span's tags, its logs' fields after "event", and a process's tags by key;
// polytrace keeps attributes in the order they came, and answers as Jaeger does.
TEST_F(QueryApiTest, JaegerTagsAndFieldsAreInKeyOrder) {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {"zeta", AnyValue::String("z")});
  rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String("sorted")});
  rs.resource.attributes.Append(a, {"alpha", AnyValue::String("a")});
  Span& s = rs.scope_spans.Append(a).spans.Append(a);
  s.trace_id.bytes[0] = 0x70;
  s.span_id.bytes[7] = 1;
  s.name = "op";
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = kBase;
  s.end_time_unix_nano = kBase + kMs;
  s.attributes.Append(a, {"zz", AnyValue::String("v")});
  s.attributes.Append(a, {"aa", AnyValue::Int(7)});
  SpanEvent& e = s.events.Append(a);
  e.time_unix_nano = kBase + 1000;
  e.name = "ev";
  e.attributes.Append(a, {"z", AnyValue::String("v")});
  e.attributes.Append(a, {"a", AnyValue::String("v")});
  // The same process with its attributes in another order (one process, as
  // Jaeger tells them apart after sorting), and one whose "zeta" is an int.
  auto another = [&](std::initializer_list<KeyValue> attributes, uint8_t id) {
    ResourceSpans& r = t.resource_spans().Append(a);
    for (const KeyValue& kv : attributes) r.resource.attributes.Append(a, kv);
    Span& child = r.scope_spans.Append(a).spans.Append(a);
    child = s;
    child.span_id.bytes[7] = id;
    child.events = {};
  };
  another({{"alpha", AnyValue::String("a")},
           {"zeta", AnyValue::String("z")},
           {kServiceNameKey, AnyValue::String("sorted")}},
          2);
  another({{"alpha", AnyValue::String("a")},
           {"zeta", AnyValue::Int(1)},
           {kServiceNameKey, AnyValue::String("sorted")}},
          3);
  another({{"alpha", AnyValue::String("a")},
           {"zeta", AnyValue::String("1")},
           {kServiceNameKey, AnyValue::String("sorted")}},
          4);
  ASSERT_TRUE(store_->Append(t).ok());
  HttpResponse r = Get("/api/traces/70000000000000000000000000000000");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element trace = parser.parse(r.body)["data"].at(0);
  auto keys = [](simdjson::dom::element list) {
    std::string out;
    for (simdjson::dom::element kv : list.get_array())
      out += std::string(std::string_view(kv["key"])) + " ";
    return out;
  };
  simdjson::dom::element span = trace["spans"].at(0);
  EXPECT_EQ(keys(span["tags"]), "aa span.kind zz ");
  EXPECT_EQ(keys(span["logs"].at(0)["fields"]), "event a z ");
  EXPECT_EQ(keys(trace["processes"]["p1"]["tags"]), "alpha zeta ");
  std::map<std::string, std::string> process_of;  // span ID -> process ID
  for (simdjson::dom::element each : trace["spans"].get_array()) {
    process_of[std::string(std::string_view(each["spanID"]))] = std::string_view(each["processID"]);
  }
  ASSERT_EQ(process_of.size(), 4u) << r.body;
  EXPECT_EQ(process_of["0000000000000001"], process_of["0000000000000002"]) << r.body;
  EXPECT_NE(process_of["0000000000000001"], process_of["0000000000000003"]) << r.body;
  EXPECT_NE(process_of["0000000000000003"], process_of["0000000000000004"]) << r.body;
  EXPECT_EQ(trace["processes"].get_object().size(), 3u) << r.body;
}

// As Jaeger's query service shows them: a span stored twice (an exporter's
// retry) once; two different spans with one ID both, the second with
// Jaeger's duplicate warning; a span ending before it starts with its
// sanitizer's warning; an integer JavaScript cannot hold as a string; an
// IPv4 address given as a number dotted.
TEST_F(QueryApiTest, JaegerAnswersSpansAsJaegersQueryServiceAdjustsThem) {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String("adjusted")});
  rs.resource.attributes.Append(a, {"ip", AnyValue::Int(167772161)});
  ScopeSpans& ss = rs.scope_spans.Append(a);
  Span& s = ss.spans.Append(a);
  s.trace_id.bytes[0] = 0x71;
  s.span_id.bytes[7] = 1;
  s.name = "retried";
  s.start_time_unix_nano = kBase;
  s.end_time_unix_nano = kBase + kMs;
  s.attributes.Append(a, {"big", AnyValue::Int(int64_t(1) << 60)});
  s.attributes.Append(a, {"peer.ipv4", AnyValue::Int(3232235777)});
  s.attributes.Append(a, {"ip", AnyValue::Double(1e300)});  // no address: no undefined conversion
  ss.spans.Append(a, s);                                    // the retry
  Span& other = ss.spans.Append(a, s);
  other.name = "collides";
  other.start_time_unix_nano = kBase + 2 * kMs;
  other.end_time_unix_nano = kBase + kMs;  // before it starts
  ASSERT_TRUE(store_->Append(t).ok());
  HttpResponse r = Get("/api/traces/71000000000000000000000000000000");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element trace = parser.parse(r.body)["data"].at(0);
  std::vector<std::string> names, warnings;
  for (simdjson::dom::element span : trace["spans"].get_array()) {
    names.emplace_back(std::string_view(span["operationName"]));
    simdjson::dom::array list;
    if (!span["warnings"].get(list)) {
      for (std::string_view w : list) warnings.emplace_back(w);
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"retried", "collides"})) << r.body;
  EXPECT_EQ(warnings.size(), 2u) << r.body;
  EXPECT_TRUE(warnings.size() == 2 && warnings[0].starts_with("Negative duration detected") &&
              warnings[1] == "duplicate span IDs; skipping clock skew adjustment")
      << r.body;
  EXPECT_NE(r.body.find(R"({"key":"big","type":"int64","value":"1152921504606846976"})"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"({"key":"peer.ipv4","type":"string","value":"192.168.1.1"})"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"({"key":"ip","type":"string","value":"10.0.0.1"})"), std::string::npos)
      << r.body;
}

// Zipkin's shared spans: the server side of a call carries its client's
// span ID. As in Jaeger, it gets a new ID (the lowest unused) under its
// client, and the shared ID's children move under it.
TEST_F(QueryApiTest, AServerSpanSharingItsClientsIdGetsANewIdAsInJaeger) {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String("zipkin")});
  ScopeSpans& ss = rs.scope_spans.Append(a);
  auto add = [&](uint8_t id, uint8_t parent, SpanKind kind, uint64_t start_ms) {
    Span& s = ss.spans.Append(a);
    s.trace_id.bytes[0] = 0x72;
    s.span_id.bytes[7] = id;
    s.parent_span_id.bytes[7] = parent;
    s.kind = kind;
    s.name = "call";
    s.start_time_unix_nano = kBase + start_ms * kMs;
    s.end_time_unix_nano = kBase + (100 - start_ms) * kMs;  // inside its parent: no skew
  };
  add(1, 0, SpanKind::kServer, 0);    // ID 1 is taken: the new ID is 2
  add(5, 1, SpanKind::kClient, 1);    // the call's client side
  add(5, 1, SpanKind::kServer, 2);    // its server side, same ID and parent
  add(6, 5, SpanKind::kInternal, 3);  // the server's work, under the shared ID
  ASSERT_TRUE(store_->Append(t).ok());
  HttpResponse r = Get("/api/traces/72000000000000000000000000000000");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  std::map<std::string, std::string> parent_of;
  for (simdjson::dom::element span : parser.parse(r.body)["data"].at(0)["spans"].get_array()) {
    std::string parent;
    for (simdjson::dom::element ref : span["references"].get_array())
      parent = std::string_view(ref["spanID"]);
    parent_of[std::string(std::string_view(span["spanID"]))] = parent;
    EXPECT_TRUE(span["warnings"].is_null()) << r.body;
  }
  EXPECT_EQ(parent_of,
            (std::map<std::string, std::string>{{"0000000000000001", ""},
                                                {"0000000000000005", "0000000000000001"},
                                                {"0000000000000002", "0000000000000005"},
                                                {"0000000000000006", "0000000000000002"}}))
      << r.body;
}

TEST_F(QueryApiTest, OrphanCarriesAWarningAndMissingTraceIs404) {
  HttpResponse r = Get("/api/traces/10000000000000000000000000000003");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("invalid parent span IDs=0000000000000009; skipping clock skew adjustment"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(Get("/api/traces/10000000000000000000000000000099").status, 404);
  EXPECT_EQ(Get("/api/v2/traces/10000000000000000000000000000099").status, 404);
}

TEST_F(QueryApiTest, TempoTraceByIdInJsonAndProtobuf) {
  HttpResponse json = Get("/api/v2/traces/10000000000000000000000000000002");
  ASSERT_EQ(json.status, 200);
  EXPECT_NE(json.body.find(R"({"trace":{"resourceSpans":[)"), std::string::npos) << json.body;
  HttpResponse proto = Get("/api/traces/10000000000000000000000000000002", "application/protobuf");
  ASSERT_EQ(proto.status, 200);
  EXPECT_EQ(proto.headers.empty() ? "" : proto.headers[0].second, "application/protobuf");
  EXPECT_NE(proto.body.find("GET /health"), std::string::npos);
  HttpResponse v2proto =
      Get("/api/v2/traces/10000000000000000000000000000002", "application/protobuf");
  ASSERT_EQ(v2proto.status, 200);
  EXPECT_EQ(v2proto.body[0], '\x0a');  // TraceByIDResponse.trace, field 1
  EXPECT_EQ(Get("/api/echo").body, "echo");
}

// A trace bigger than a piece (2,048 spans) is streamed, from a segment and
// the head, and every form of it holds exactly the stored spans: OTLP
// protobuf and JSON, Tempo's v2 envelopes, Jaeger's model with its orphan
// and duplicate warnings over the whole trace.
TEST_F(QueryApiTest, BigTraceIsStreamedAndEveryFormHoldsEverySpan) {
  constexpr int kSpans = 20'000;
  const TraceId big = Tid(0x50);
  auto add = [&](int first, int count) {
    Traces t;
    Arena& a = t.arena();
    for (int i = first; i < first + count; ++i) {
      ResourceSpans& rs = t.resource_spans().Append(a);
      rs.resource.attributes.Append(
          a, {kServiceNameKey, AnyValue::String(a.Copy("svc" + std::to_string(i % 3)))});
      Span& s = rs.scope_spans.Append(a).spans.Append(a);
      s.trace_id = big;
      // Span i has ID i + 1 and parent i / 8 + 1, but the last span repeats
      // the one before's ID (a leaf: no span's parent), and span 9's parent
      // is nowhere.
      uint32_t id = i == kSpans - 1 ? uint32_t(i) : uint32_t(i + 1);
      uint32_t parent = i == 0 ? 0 : i == 9 ? 0xdead : uint32_t(i / 8 + 1);
      for (int b = 0; b < 4; ++b) {
        s.span_id.bytes[4 + b] = uint8_t(id >> (24 - 8 * b));
        s.parent_span_id.bytes[4 + b] = uint8_t(parent >> (24 - 8 * b));
      }
      s.name = a.Copy("op" + std::to_string(i % 5));
      s.start_time_unix_nano = kBase + uint64_t(i) * 1000;
      s.end_time_unix_nano = s.start_time_unix_nano + 500;
      s.attributes.Append(a, {"i", AnyValue::Int(i)});
    }
    ASSERT_TRUE(store_->Append(t).ok());
  };
  add(0, kSpans / 2);
  ASSERT_TRUE(store_->SealHead().ok());
  add(kSpans / 2, kSpans / 2);
  Result<Traces> stored = store_->GetTrace(big);
  ASSERT_TRUE(stored.ok());
  const std::multiset<std::string> want = testing::CanonicalSpans(*stored);
  ASSERT_EQ(want.size(), size_t(kSpans));
  const std::string path = "/api/traces/10000000000000000000000000000050";
  const std::string v2 = "/api/v2/traces/10000000000000000000000000000050";

  auto from_json = [&](const HttpResponse& r, const char* envelope) {
    simdjson::dom::parser parser;
    simdjson::dom::element inner;
    EXPECT_FALSE(parser.parse(r.body)[envelope].get(inner)) << envelope;
    Traces t;
    EXPECT_TRUE(otlp::DecodeTracesJson(simdjson::minify(inner), &t).ok()) << envelope;
    return testing::CanonicalSpans(t);
  };
  HttpResponse r = Get(v2);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  EXPECT_TRUE(from_json(r, "trace") == want) << "Tempo v2 JSON";
  r = Get("/api/v3/traces/10000000000000000000000000000050");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  EXPECT_TRUE(from_json(r, "result") == want) << "Jaeger v3";

  r = Get(path, "application/protobuf");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  Traces t;
  ASSERT_TRUE(otlp::DecodeTracesProto(r.body, &t).ok());
  EXPECT_TRUE(testing::CanonicalSpans(t) == want) << "OTLP protobuf";
  r = Get(v2, "application/protobuf");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  ASSERT_EQ(r.body[0], '\x0a');  // TraceByIDResponse.trace
  otlp::wire::Reader reader(std::string_view(r.body).substr(1), 1);
  uint64_t length = 0;
  ASSERT_TRUE(reader.ReadVarint(&length));
  std::string_view body = std::string_view(r.body).substr(reader.offset());
  EXPECT_EQ(length, body.size()) << "the length written before the pieces";
  Traces inner;
  ASSERT_TRUE(otlp::DecodeTracesProto(body, &inner).ok());
  EXPECT_TRUE(testing::CanonicalSpans(inner) == want) << "Tempo v2 protobuf";

  auto expect_whole_jaeger_trace = [&](simdjson::dom::element trace) {
    EXPECT_EQ(std::string_view(trace["traceID"]), "10000000000000000000000000000050");
    std::multiset<std::string> ids;
    int orphans = 0, duplicates = 0;
    for (simdjson::dom::element span : trace["spans"].get_array()) {
      ids.insert(std::string(std::string_view(span["spanID"])));
      std::string_view process = span["processID"];
      EXPECT_FALSE(trace["processes"][process].error()) << process;
      simdjson::dom::array warnings;
      if (span["warnings"].get(warnings)) continue;  // null
      for (std::string_view w : warnings) {
        orphans += w.starts_with("invalid parent span IDs=");
        duplicates += w.starts_with("duplicate span IDs");
      }
    }
    EXPECT_EQ(ids.size(), size_t(kSpans));
    EXPECT_EQ(ids.count(fmt::format("{:016x}", kSpans - 1)), 2u);
    EXPECT_EQ(orphans, 1) << "only span 9's parent is missing from the whole trace";
    EXPECT_EQ(duplicates, 1) << "the second of the two spans with one ID";
    EXPECT_EQ(trace["processes"].get_object().size(), 3u);
  };
  r = Get(path);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  EXPECT_EQ(uint64_t(doc["total"]), 0u) << "Jaeger's total on traces";
  expect_whole_jaeger_trace(doc["data"].at(0));

  // Asked with others by traceID= (Jaeger's search by IDs): streamed too,
  // whole, each ID once in the order asked, the one not stored named.
  r =
      Get("/api/traces?traceID=10000000000000000000000000000050&traceID=ee"
          "&traceID=10000000000000000000000000000002&traceID=10000000000000000000000000000050");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  doc = parser.parse(r.body);
  ASSERT_EQ(doc["data"].get_array().size(), 2u);
  expect_whole_jaeger_trace(doc["data"].at(0));
  EXPECT_EQ(std::string_view(doc["data"].at(1)["traceID"]), "10000000000000000000000000000002");
  EXPECT_EQ(doc["data"].at(1)["spans"].get_array().size(), 1u);
  EXPECT_EQ(uint64_t(doc["total"]), 0u);
  EXPECT_EQ(simdjson::minify(doc["errors"]),
            R"([{"msg":"trace not found","traceID":"00000000000000ee"}])");

  // A small trace is answered whole, as before.
  EXPECT_EQ(Get("/api/traces/10000000000000000000000000000002").status, 200);
  EXPECT_FALSE(last_streamed_);
}

// The web UI's columns, read back by a decoder written from the format's
// description (query/trace_columns.h): every span's IDs, times, name,
// kind, status, resource and attributes, against the stored trace.
struct ColumnSpan {
  std::string id, parent, name, service;
  uint64_t start = 0, end = 0;
  int kind = 0, status = 0;
  std::vector<std::string> attributes;  // key=value (text as sent)
  size_t events = 0;
  friend auto operator<=>(const ColumnSpan&, const ColumnSpan&) = default;
};

std::vector<ColumnSpan> DecodeColumns(std::string_view body, size_t* frames_of_spans) {
  std::vector<ColumnSpan> out;
  std::vector<std::string> strings = {""};
  std::vector<std::string> services;  // per resource
  uint64_t base = 0;
  size_t at = 0;
  *frames_of_spans = 0;
  auto u32 = [&](size_t pos) {
    uint32_t v;
    std::memcpy(&v, body.data() + pos, 4);
    return v;
  };
  auto f64 = [&](size_t pos) {
    double v;
    std::memcpy(&v, body.data() + pos, 8);
    return v;
  };
  auto hex = [](uint32_t high, uint32_t low) { return fmt::format("{:08x}{:08x}", high, low); };
  simdjson::dom::parser parser;
  while (at < body.size()) {
    EXPECT_LE(at + 8, body.size());
    uint32_t type = u32(at), length = u32(at + 4);
    EXPECT_EQ(length % 8, 0u);
    std::string_view frame = body.substr(at + 8, length);
    size_t f = at + 8;
    at += 8 + length;
    if (type == 1) {
      simdjson::dom::element head = parser.parse(std::string(frame));
      base = std::stoull(std::string(std::string_view(head["baseUnixNanos"])));
    } else if (type == 2) {
      simdjson::dom::element tables = parser.parse(std::string(frame));
      for (std::string_view s : tables["strings"].get_array()) strings.emplace_back(s);
      for (simdjson::dom::element r : tables["resources"].get_array()) {
        std::string service;
        for (simdjson::dom::element kv : r["attributes"].get_array()) {
          if (std::string_view(kv["key"]) == "service.name")
            service = std::string(std::string_view(kv["value"]["stringValue"]));
        }
        services.push_back(service);
      }
    } else if (type == 3) {
      ++*frames_of_spans;
      uint32_t n = u32(f), n_attrs = u32(f + 4);
      size_t p = f + 32;
      auto section = [&](size_t bytes) {
        size_t here = p;
        p += (bytes + 7) / 8 * 8;
        return here;
      };
      size_t start = section(8 * n), end = section(8 * n), id_hi = section(4 * n),
             id_lo = section(4 * n), par_hi = section(4 * n), par_lo = section(4 * n),
             name = section(4 * n), resource = section(4 * n);
      section(4 * n);  // scope
      section(4 * n);  // status message
      section(4 * n);  // trace state
      size_t attr_end = section(4 * n), event_end = section(4 * n);
      section(4 * n);  // link end
      size_t kind = section(n), status = section(n);
      size_t key = section(4 * n_attrs), value = section(4 * n_attrs);
      section(n_attrs);  // types
      uint32_t attr_begin = 0, event_begin = 0;
      for (uint32_t i = 0; i < n; ++i) {
        ColumnSpan s;
        s.id = hex(u32(id_hi + 4 * i), u32(id_lo + 4 * i));
        s.parent = hex(u32(par_hi + 4 * i), u32(par_lo + 4 * i));
        s.name = strings.at(u32(name + 4 * i));
        s.service = services.at(u32(resource + 4 * i));
        s.start = base + uint64_t(int64_t(f64(start + 8 * i)));
        s.end = base + uint64_t(int64_t(f64(end + 8 * i)));
        s.kind = uint8_t(body[kind + i]);
        s.status = uint8_t(body[status + i]);
        for (uint32_t a = attr_begin; a < u32(attr_end + 4 * i); ++a) {
          s.attributes.push_back(strings.at(u32(key + 4 * a)) + "=" +
                                 strings.at(u32(value + 4 * a)));
        }
        attr_begin = u32(attr_end + 4 * i);
        s.events = u32(event_end + 4 * i) - event_begin;
        event_begin = u32(event_end + 4 * i);
        out.push_back(std::move(s));
      }
      EXPECT_LE(p, f + length);
    } else {
      EXPECT_EQ(type, 4u);
    }
  }
  return out;
}

std::vector<ColumnSpan> StoredSpans(const Traces& traces) {
  std::vector<ColumnSpan> out;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& sp : ss.spans) {
        ColumnSpan s;
        s.id = sp.span_id.ToHex();
        s.parent = sp.parent_span_id.ToHex();
        s.name = std::string(sp.name);
        const AnyValue* svc = FindAttribute(rs.resource.attributes, kServiceNameKey);
        s.service = svc ? std::string(svc->string_value) : "";
        s.start = sp.start_time_unix_nano;
        s.end = sp.end_time_unix_nano;
        s.kind = int(sp.kind);
        s.status = int(sp.status.code);
        for (const KeyValue& kv : sp.attributes)
          s.attributes.push_back(std::string(kv.key) + "=" + ValueToString(kv.value));
        s.events = sp.events.size();
        out.push_back(std::move(s));
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(QueryApiTest, TheUiColumnsHoldEverySpanOfSmallAndBigTraces) {
  const std::string accept = "application/vnd.polytrace.trace-columns";
  size_t frames = 0;
  // Trace 1: a segment and the head, one piece.
  HttpResponse r = Get("/api/v2/traces/10000000000000000000000000000001", accept);
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(last_streamed_);
  Result<Traces> one = store_->GetTrace(Tid(1));
  ASSERT_TRUE(one.ok());
  std::vector<ColumnSpan> got = DecodeColumns(r.body, &frames);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, StoredSpans(*one));
  EXPECT_EQ(frames, 1u);

  // 5,000 spans: streamed in pieces, a frame of columns each.
  const TraceId big = Tid(0x60);
  Traces t;
  Arena& a = t.arena();
  for (int i = 0; i < 5000; ++i) {
    ResourceSpans& rs = t.resource_spans().Append(a);
    rs.resource.attributes.Append(
        a, {kServiceNameKey, AnyValue::String(a.Copy("svc" + std::to_string(i % 4)))});
    Span& s = rs.scope_spans.Append(a).spans.Append(a);
    s.trace_id = big;
    s.span_id.bytes[6] = uint8_t((i + 1) >> 8);
    s.span_id.bytes[7] = uint8_t(i + 1);
    if (i) {
      s.parent_span_id.bytes[6] = uint8_t((i / 3 + 1) >> 8);
      s.parent_span_id.bytes[7] = uint8_t(i / 3 + 1);
    }
    s.name = a.Copy("op" + std::to_string(i % 7));
    s.kind = SpanKind(i % 6);
    s.status.code = i % 11 == 0 ? StatusCodeValue::kError : StatusCodeValue::kUnset;
    s.start_time_unix_nano = kBase + uint64_t(i) * 1'000'003;
    s.end_time_unix_nano = s.start_time_unix_nano + 777 + uint64_t(i);
    s.attributes.Append(a, {"i", AnyValue::Int(i)});
    s.attributes.Append(a, {"half", AnyValue::Double(i / 2.0)});
    s.attributes.Append(a, {"user", AnyValue::String(a.Copy("u" + std::to_string(i % 50)))});
    s.attributes.Append(a, {"ok", AnyValue::Bool(i % 2 == 0)});
    if (i % 5 == 0) s.events.Append(a).name = "tick";
  }
  ASSERT_TRUE(store_->Append(t).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  r = Get("/api/v2/traces/10000000000000000000000000000060", accept);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(last_streamed_);
  EXPECT_EQ(r.headers[0].second, accept);
  Result<Traces> stored = store_->GetTrace(big);
  ASSERT_TRUE(stored.ok());
  got = DecodeColumns(r.body, &frames);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got.size(), 5000u);
  EXPECT_TRUE(got == StoredSpans(*stored));
  EXPECT_GE(frames, 2u) << "one frame of columns per piece";
  EXPECT_LT(r.body.size(), 5000u * 120) << "bytes per span of the columns";
}

TEST_F(QueryApiTest, TempoSearchWithTraceQL) {
  EXPECT_EQ(TraceQL("{ resource.service.name = \"gw\" }"), (V{2, 1}));
  EXPECT_EQ(TraceQL("{ status = error }"), (V{1}));
  EXPECT_EQ(TraceQL("{ span.tenant = \"blue\" }"), (V{2}));
  EXPECT_EQ(TraceQL("{ kind = client } > { status = error }"), (V{1}));
  EXPECT_EQ(TraceQL("{ rootServiceName = \"gw\" } && { resource.service.name = \"pay\" }"), (V{1}));
  EXPECT_EQ(TraceQL("{ traceDuration > 50ms }"), (V{1}));
  EXPECT_EQ(TraceQL("{ name = \"charge\" && duration < 10ms }"), (V{3}));
  HttpResponse bad = Get("/api/search?q=%7B%20name%20%3D%20%7D");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "invalid TraceQL query: traceql: column 10: expected a value but found '}'");
}

// Every API answers an attribute search alike from every tier of the store:
// spans partly in the head, all sealed, reopened, compacted (issue #19: a
// string attribute searched after sealing once found nothing).
TEST_F(QueryApiTest, AttributeSearchesAnswerAlikeFromEveryTier) {
  auto v3 = [this](const std::string& query) {
    simdjson::dom::parser parser;
    std::vector<int> out;
    HttpResponse r = Get("/api/v3/trace-summaries?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    for (simdjson::dom::element t : parser.parse(r.body)["summaries"].get_array()) {
      std::string_view id = t["traceId"];
      out.push_back(std::stoi(std::string(id.substr(id.size() - 2)), nullptr, 16));
    }
    return out;
  };
  auto expect_answers = [&](const char* tier) {
    SCOPED_TRACE(tier);
    EXPECT_EQ(Search("service=gw&tags=%7B%22tenant%22%3A%22blue%22%7D"), (V{2}));
    EXPECT_EQ(Search("service=pay&tags=%7B%22http.status_code%22%3A%22500%22%7D"), (V{1}));
    EXPECT_EQ(Search("service=pay&tag=http.status_code:500"), (V{1}));
    EXPECT_EQ(Search("service=gw&tags=%7B%22tenant%22%3A%22red%22%7D"), V{});
    EXPECT_EQ(v3("query.serviceName=gw&query.attributes=%7B%22tenant%22%3A%22blue%22%7D"), (V{2}));
    EXPECT_EQ(v3("query.attributes=%7B%22http.status_code%22%3A500%7D"), (V{1}));
    EXPECT_EQ(TraceQL("{ span.tenant = \"blue\" }"), (V{2}));
    EXPECT_EQ(TraceQL("{ span.http.status_code = 500 }"), (V{1}));
    EXPECT_EQ(TraceQL("{ span.tenant =~ \"bl.*\" }"), (V{2}));
    EXPECT_EQ(TraceQL("{ span.tenant = \"red\" }"), V{});
  };
  expect_answers("head and a segment");
  ASSERT_TRUE(store_->SealHead().ok());
  expect_answers("sealed");
  store_.reset();  // closes the store and releases its lock
  OpenStore();
  ASSERT_TRUE(store_ != nullptr);
  expect_answers("reopened");
  ASSERT_TRUE(store_->CompactAllWindows().ok());
  expect_answers("compacted");
}

// Issue #13: a search for a stable key also finds the old key's spans (and
// the other way round), from every tier; `semconv_aliases: false` asks for
// exact keys.
TEST_F(QueryApiTest, SearchesFindEitherSemconvGeneration) {
  // Trace 1 (setUp) carries http.status_code=500; trace 4 the stable key.
  Add(Tid(4), 1, 0, "pay", "refund", SpanKind::kServer, 30'000, 5, StatusCodeValue::kError,
      {{"http.response.status_code", AnyValue::Int(500)},
       {"http.request.method", AnyValue::String("POST")}});
  Add(Tid(5), 1, 0, "pay", "charge", SpanKind::kServer, 31'000, 5, StatusCodeValue::kUnset,
      {{"http.method", AnyValue::String("POST")}});
  auto sorted = [](std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  auto expect_answers = [&](const char* tier) {
    SCOPED_TRACE(tier);
    EXPECT_EQ(Search("service=pay&tag=http.response.status_code:500"), (V{4, 1}));
    EXPECT_EQ(Search("service=pay&tag=http.status_code:500"), (V{4, 1}));
    // Two aliased tags on one span: each may match under either name.
    EXPECT_EQ(Search("service=pay&tag=http.response.status_code:500&tag=http.method:POST"), (V{4}));
    EXPECT_EQ(Search("service=pay&tag=http.request.method:POST"), (V{5, 4}));
    EXPECT_EQ(sorted(TraceQL("{ span.http.response.status_code = 500 }")), (V{1, 4}));
    EXPECT_EQ(sorted(TraceQL("{ span.http.status_code >= 500 }")), (V{1, 4}));
    EXPECT_EQ(sorted(TraceQL("{ .http.request.method =~ \"PO.*\" }")), (V{4, 5}));
    // `= nil`: the attribute under neither name.
    EXPECT_EQ(sorted(TraceQL("{ name = \"charge\" && span.http.response.status_code = nil }")),
              (V{3, 5}));
  };
  expect_answers("head and a segment");
  ASSERT_TRUE(store_->SealHead().ok());
  expect_answers("sealed");

  service_ = std::make_unique<QueryService>([this] { return store_.get(); }, std::nullopt,
                                            QueryOptions{.semconv_aliases = false});
  EXPECT_EQ(Search("service=pay&tag=http.response.status_code:500"), (V{4}));
  EXPECT_EQ(Search("service=pay&tag=http.status_code:500"), (V{1}));
  EXPECT_EQ(TraceQL("{ span.http.response.status_code = 500 }"), (V{4}));
}

// With no turn to give, every answer that reads much of the store is a 503
// and every quick one is served.
TEST(QueryServiceTurnsTest, SearchesAndAnalysesTakeTurnsQuickAnswersDoNot) {
  QueryService service([] { return nullptr; }, std::nullopt,
                       QueryOptions{.heavy_running = 0, .heavy_waiting = 0});
  auto status = [&](const std::string& target) {
    HttpRequest r = GetRequest(target);
    HttpResponse answer = service.Handle(r);
    if (answer.status == 503 && answer.body.find("searches or analyses") == std::string::npos) {
      return 0;  // the store's own 503 (not open): the request was let through
    }
    return answer.status;
  };
  for (const char* heavy :
       {"/api/traces?service=gw", "/api/traces?traceID=1", "/api/search?q=%7B%7D",
        "/api/v3/trace-summaries?query.serviceName=gw", "/api/analysis/traces/1",
        "/api/backlinks/traces/1", "/api/dependencies", "/api/servicemap",
        "/api/v2/search/tag/span.x/values?q=%7B%7D"}) {
    EXPECT_EQ(status(heavy), 503) << heavy;
  }
  for (const char* quick :
       {"/api/services", "/api/traces/1", "/api/v2/traces/1", "/api/v3/services",
        "/api/v2/search/tag/span.x/values", "/api/search/tags", "/api/echo"}) {
    EXPECT_EQ(status(quick), 0) << quick;
  }
}

TEST(SemconvSearchTest, VariantsAreTheProductOfEachTagsNamesAndBounded) {
  store::SpanFilter f;
  f.tags = {{"http.response.status_code", "500"}, {"tenant", "blue"}, {"db.namespace", "u"}};
  std::vector<store::SpanFilter> v = GenerationVariants(f);
  // 2 names x 1 x 3 (db.namespace, db.name, db.elasticsearch.cluster.name)
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[1].tags[2].first, "db.name");
  EXPECT_EQ(v[3].tags[0].first, "http.status_code");
  EXPECT_EQ(v[3].tags[1].first, "tenant");
  EXPECT_EQ(v[3].tags[1].second, "blue");
  f.tags.clear();
  for (int i = 0; i < 8; ++i) f.tags.push_back({"http.response.status_code", "500"});
  EXPECT_EQ(GenerationVariants(f).size(), kMaxVariants);  // 2^4, the rest exact
}

TEST_F(QueryApiTest, TempoTagsAndValues) {
  EXPECT_EQ(Get("/api/search/tags").body,
            R"({"tagNames":["http.status_code","service.name","tenant"]})");
  EXPECT_EQ(Get("/api/search/tag/service.name/values").body, R"({"tagValues":["gw","pay"]})");
  EXPECT_EQ(Get("/api/v2/search/tag/span.http.status_code/values").body,
            R"({"tagValues":[{"type":"int","value":"500"}]})");
  // Tempo's spans-per-spanset bound (max_spans_per_span_set, 100 by default).
  EXPECT_EQ(Get("/api/search?q=%7B%7D&spss=100").status, 200);
  HttpResponse spss = Get("/api/search?q=%7B%7D&spss=101");
  EXPECT_EQ(spss.status, 400);
  EXPECT_NE(spss.body.find("spans per span set exceeds 100"), std::string::npos) << spss.body;
  // Grafana's time range (Unix seconds): data outside it is not read
  // (store_differential_test checks which); a bad one is refused, named.
  EXPECT_EQ(Get("/api/search/tag/service.name/values?start=0&end=99999999999999").body,
            R"({"tagValues":["gw","pay"]})");
  HttpResponse bad = Get("/api/v2/search/tag/span.http.status_code/values?end=abc");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'end'"), std::string::npos) << bad.body;
  bad = Get("/api/search/tag/service.name/values?start=20&end=10");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "'start' is after 'end'");
}

// Grafana's TraceQL editor asks tag values with the conditions typed so far
// (`q`): the values of the spans meeting them. As Tempo: only one spanset
// of && conditions filters, conditions still being typed are dropped, and
// anything else offers every value.
TEST_F(QueryApiTest, TagValuesUnderAQueryAreThoseOfTheMatchingSpans) {
  auto values = [&](const std::string& tag, const std::string& q) {
    std::string encoded;
    for (char c : q) {
      encoded += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                             : fmt::format("%{:02X}", c);
    }
    HttpResponse r = Get("/api/v2/search/tag/" + tag + "/values?q=" + encoded);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    for (simdjson::dom::element v : parser.parse(r.body)["tagValues"].get_array()) {
      out.emplace_back(std::string_view(v["value"]));
    }
    return out;
  };
  using S = std::vector<std::string>;
  const std::string svc = "resource.service.name";
  EXPECT_EQ(values(svc, "{ span.http.status_code = 500 }"), (S{"pay"}));
  EXPECT_EQ(values(svc, "{ status = error }"), (S{"pay"}));
  EXPECT_EQ(values(svc, "{ name = \"GET /health\" }"), (S{"gw"}));
  EXPECT_EQ(values(svc, "{ span.tenant = \"blue\" && .http.method = }"), (S{"gw"}));
  EXPECT_EQ(values(svc, "{ kind = server && span.tenant = \"bl"), (S{"gw", "pay"}));
  EXPECT_EQ(values(svc, "{ name = \"charge\" && span.tenant = \"bl"), (S{"pay"}));
  EXPECT_EQ(values(svc, "{ kind = client }"), (S{"gw"}));
  EXPECT_EQ(values(svc, "{ name = \"nothing\" }"), S{});
  // Span attributes under a resource condition, and unscoped.
  EXPECT_EQ(values("span.http.status_code", "{ resource.service.name = \"pay\" }"), (S{"500"}));
  EXPECT_EQ(values(".tenant", "{ resource.service.name = \"pay\" }"), S{});
  EXPECT_EQ(values(".tenant", "{ resource.service.name = \"gw\" }"), (S{"blue"}));
  EXPECT_EQ(values(".service.name", "{ status = error }"), (S{"pay"}));  // either scope
  // Nothing to filter by: every value.
  for (std::string q : {"", "{}", "{ span.tenant = \"blue\" || name = \"charge\" }",
                        "{ name = \"charge\" } && { name = \"GET /health\" }",
                        "{ name = \"charge\" } | count() > 1", "{ span.tenant = \"bl", "{ .a = }",
                        "name = \"charge\""}) {
    EXPECT_EQ(values(svc, q), (S{"gw", "pay"})) << q;
  }
  // Tempo's v1 route takes the same query.
  EXPECT_EQ(Get("/api/search/tag/service.name/values?q=%7Bstatus%3Derror%7D").body,
            R"({"tagValues":["pay"]})");
}

// A search answer holds whole traces up to a span budget: the newest that
// fit, the rest left out (and counted); when the newest alone does not fit,
// nothing, and which trace it was. Traces no longer stored are skipped.
TEST_F(QueryApiTest, FoundTracesAreReadWithinTheAnswersSpanBudget) {
  // Newest first, as a search returns them: trace 3 (1 span), 2 (1), 1 (3).
  std::vector<store::TraceHit> hits = {{Tid(3), 0}, {Tid(9), 0}, {Tid(2), 0}, {Tid(1), 0}};
  auto read = [&](size_t budget, std::vector<TraceId>* got) {
    return ReadFoundTraces(*store_, hits, nullptr, budget, [&](const Traces& t) {
      got->push_back(t.resource_spans()[0].scope_spans[0].spans[0].trace_id);
    });
  };
  std::vector<TraceId> got;
  Result<FoundTracesRead> all = read(5, &got);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(got, (std::vector<TraceId>{Tid(3), Tid(2), Tid(1)}));  // Tid(9) is not stored
  EXPECT_EQ(all->spans, 5u);
  EXPECT_EQ(all->left_out, 0u);
  got.clear();
  Result<FoundTracesRead> two = read(4, &got);  // trace 1's three spans do not fit
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(got, (std::vector<TraceId>{Tid(3), Tid(2)}));
  EXPECT_EQ(two->traces, 2u);
  EXPECT_EQ(two->left_out, 1u);
  EXPECT_FALSE(two->first_too_big);
  hits = {{Tid(1), 0}, {Tid(2), 0}};
  got.clear();
  Result<FoundTracesRead> none = read(2, &got);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(none->first_too_big, 2u);  // the budget it passed
  EXPECT_EQ(none->left_out, 2u);
  EXPECT_NE(TooBigForSearch(Tid(1), 2).find(Tid(1).ToHex() + " has more than 2 spans"),
            std::string::npos);
}

// A search whose traces take more than one read (256 traces) is sent as it
// is read: the same bytes as the same traces asked by ID (an answer built
// whole), newest first; a small one still comes whole.
TEST_F(QueryApiTest, BigSearchAnswerIsStreamedWithTheSameBytes) {
  constexpr int kTraces = 600;
  std::string by_id = "/api/traces?";
  for (int i = kTraces; i >= 1; --i) {  // newest first, as the search answers
    TraceId id;
    id.bytes[14] = uint8_t(i >> 8);
    id.bytes[15] = uint8_t(i);
    Add(id, 1, 0, "bulk", "job", SpanKind::kServer, 10'000 + i, 1, StatusCodeValue::kOk,
        {{"n", AnyValue::Int(i)}});
    by_id += fmt::format("{}traceID={}", i == kTraces ? "" : "&", id.ToHex());
  }
  HttpResponse search = Get("/api/traces?service=bulk&limit=1000");
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_TRUE(last_streamed_);
  HttpResponse by_ids = Get(by_id);
  ASSERT_EQ(by_ids.status, 200);
  EXPECT_EQ(search.body, by_ids.body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(search.body);
  EXPECT_EQ(doc["data"].get_array().size(), size_t(kTraces));
  EXPECT_EQ(int64_t(doc["total"]), 0) << "as Jaeger's search";
  // Each trace as the answer made whole of it alone has it.
  simdjson::dom::parser alone_parser;
  for (simdjson::dom::element trace : doc["data"].get_array()) {
    std::string_view id = trace["traceID"];
    HttpResponse alone = Get("/api/traces/" + std::string(id));
    ASSERT_FALSE(last_streamed_);
    ASSERT_EQ(simdjson::minify(trace),
              simdjson::minify(alone_parser.parse(alone.body)["data"].at(0).value()))
        << id;
  }
  EXPECT_EQ(Search("service=bulk&limit=3").size(), 3u);
  EXPECT_FALSE(last_streamed_);
}

// Answers waiting for their clients hold a bounded budget (a streamed one
// its reader and state, a big one made whole its body): past it a big trace
// by ID, in every API, a big search and a big answer made whole are refused
// with 503 and Retry-After, while small answers go on; the budget comes back
// when an answer ends or is dropped.
TEST_F(QueryApiTest, AnswersWaitingForTheirClientsHoldABoundedBudget) {
  constexpr int kSpans = 6'000;  // more than a piece: streamed; over a MiB made whole
  const TraceId big = Tid(0x60);
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String("bulk")});
  ScopeSpans& ss = rs.scope_spans.Append(a);
  for (int i = 0; i < kSpans; ++i) {
    Span& s = ss.spans.Append(a);
    s.trace_id = big;
    s.span_id.bytes[6] = uint8_t((i + 1) >> 8);
    s.span_id.bytes[7] = uint8_t(i + 1);
    s.name = "job";
    s.start_time_unix_nano = kBase + uint64_t(i) * 1000;
    s.end_time_unix_nano = s.start_time_unix_nano + 500;
  }
  ASSERT_TRUE(store_->Append(t).ok());
  for (int i = 1; i <= 300; ++i) {  // a search of more than 256 traces is streamed
    TraceId id;
    id.bytes[14] = uint8_t(i >> 8);
    id.bytes[15] = uint8_t(i);
    Add(id, 1, 0, "many", "job", SpanKind::kServer, 10'000 + i, 1, StatusCodeValue::kOk, {});
  }
  AnswerBudget budget(2 * AnswerBudget::kStreamedAnswerBytes);
  service_ = std::make_unique<QueryService>([this] { return store_.get(); }, std::nullopt,
                                            QueryOptions{.answer_budget = &budget});
  auto retry_after = [](const HttpResponse& r) {
    for (const auto& [name, value] : r.headers) {
      if (name == "Retry-After") return value;
    }
    return std::string("(none)");
  };
  const std::string hex = big.ToHex();
  std::optional<HttpResponse> held1 = Ask("/api/traces/" + hex);
  std::optional<HttpResponse> held2 = Ask("/api/v2/traces/" + hex);
  ASSERT_EQ(held1->status, 200);
  ASSERT_TRUE(held1->stream && held2->stream);
  EXPECT_EQ(budget.in_use(), 2 * AnswerBudget::kStreamedAnswerBytes);

  HttpResponse jaeger = Ask("/api/traces/" + hex);
  EXPECT_EQ(jaeger.status, 503) << jaeger.body;
  EXPECT_EQ(retry_after(jaeger), "1");
  simdjson::dom::parser parser;
  std::string_view msg = parser.parse(jaeger.body)["errors"].at(0)["msg"];
  EXPECT_NE(msg.find("answers waiting for their clients hold 64 MiB of the 64 MiB"),
            std::string_view::npos)
      << msg;
  HttpResponse tempo = Ask("/api/traces/" + hex, "application/protobuf");
  EXPECT_EQ(tempo.status, 503) << tempo.body;
  EXPECT_EQ(retry_after(tempo), "1");
  HttpResponse v3 = Ask("/api/v3/traces/" + hex);
  EXPECT_EQ(v3.status, 503) << v3.body;
  EXPECT_EQ(int64_t(parser.parse(v3.body)["error"]["httpCode"]), 503);
  HttpResponse search = Ask("/api/traces?service=many&limit=1000");
  EXPECT_EQ(search.status, 503) << search.body.substr(0, 200);
  HttpResponse by_id = Ask("/api/traces?traceID=" + hex);  // streamed as by /api/traces/{id}
  EXPECT_EQ(by_id.status, 503) << by_id.body.substr(0, 200);
  // Made whole (a search that found the one big trace), but over a MiB.
  const std::string whole_search = "/api/traces?service=bulk";
  HttpResponse whole_big = Ask(whole_search);
  EXPECT_EQ(whole_big.status, 503) << whole_big.body.substr(0, 200);
  EXPECT_EQ(retry_after(whole_big), "1");
  // Answers sent whole need no slot.
  EXPECT_EQ(Get("/api/traces/" + Tid(1).ToHex()).status, 200);
  EXPECT_EQ(Search("service=many&limit=3").size(), 3u);
  EXPECT_EQ(budget.in_use(), 2 * AnswerBudget::kStreamedAnswerBytes);

  held1.reset();  // its client went away: the server drops the producer
  EXPECT_EQ(budget.in_use(), AnswerBudget::kStreamedAnswerBytes);
  HttpResponse again = Get("/api/traces?service=many&limit=1000");  // read to its end
  ASSERT_EQ(again.status, 200);
  EXPECT_TRUE(last_streamed_);
  EXPECT_EQ(parser.parse(again.body)["data"].get_array().size(), 300u);
  EXPECT_EQ(budget.in_use(), AnswerBudget::kStreamedAnswerBytes);  // the ended answer's is back
  // The big answer made whole holds its size while it is sent, in pieces.
  std::optional<HttpResponse> whole_held = Ask(whole_search);
  ASSERT_EQ(whole_held->status, 200);
  ASSERT_TRUE(whole_held->stream);
  EXPECT_GT(budget.in_use(), AnswerBudget::kStreamedAnswerBytes + AnswerBudget::kHeldWholeAbove);
  ASSERT_TRUE(whole_held->DrainStream());
  EXPECT_EQ(parser.parse(whole_held->body)["data"].at(0)["spans"].get_array().size(),
            size_t(kSpans));
  EXPECT_EQ(budget.in_use(), AnswerBudget::kStreamedAnswerBytes);
  ASSERT_TRUE(held2->DrainStream());
  EXPECT_EQ(budget.in_use(), 0u);
  HttpResponse whole = Get("/api/traces/" + hex);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(parser.parse(whole.body)["data"].at(0)["spans"].get_array().size(), size_t(kSpans));
}

// Traces looked at one by one are read within a span budget: a trace
// bigger than it alone is skipped (not built), the others come in order.
TEST_F(QueryApiTest, TracesReadWithinABudgetSkipTheOnesTooBig) {
  std::vector<TraceId> ids = {Tid(2), Tid(1), Tid(9), Tid(3)};  // 1, 3, 0 and 1 spans
  std::vector<std::pair<size_t, size_t>> seen;                  // (index, spans)
  size_t skipped = 0;
  ASSERT_TRUE(ForEachTraceWithin(
                  *store_, ids, nullptr, 2,
                  [&](size_t i, const Traces& t) { seen.emplace_back(i, t.SpanCount()); }, &skipped)
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::pair<size_t, size_t>>{{0, 1}, {2, 0}, {3, 1}}));
  EXPECT_EQ(skipped, 1u);
  seen.clear();
  skipped = 0;
  ASSERT_TRUE(ForEachTraceWithin(
                  *store_, ids, nullptr, 5,
                  [&](size_t i, const Traces& t) { seen.emplace_back(i, t.SpanCount()); }, &skipped)
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 3}, {2, 0}, {3, 1}}));
  EXPECT_EQ(skipped, 0u);
}

TEST_F(QueryApiTest, OnlyGetIsAllowedAndUnknownPathsAre404) {
  HttpRequest post;
  post.method = "POST";
  post.path = "/api/services";
  EXPECT_EQ(service_->Handle(post).status, 405);
  EXPECT_EQ(Get("/api/nothing").status, 404);
}

// The findings of an analysis but the warnings (this test's services set no
// service.version).
std::vector<simdjson::dom::element> Problems(simdjson::dom::element doc) {
  std::vector<simdjson::dom::element> out;
  for (simdjson::dom::element f : doc["findings"].get_array()) {
    if (std::string_view(f["kind"]) != "missing_service_version") out.push_back(f);
  }
  return out;
}

// An analysis reads its whole trace: past its span limit it is a 422 before
// the trace is read whole; a big one (past big_spans) still answers, in its
// turn, the same as any.
TEST_F(QueryApiTest, AnalysisRefusesATraceOverItsSpanLimit) {
  HttpRequest r;
  r.method = "GET";
  r.path = r.target = "/api/analysis/traces/10000000000000000000000000000001";
  std::optional<HttpResponse> whole = AnalysisApi(*store_).Handle(r);
  ASSERT_TRUE(whole && whole->status == 200);
  std::optional<HttpResponse> over = AnalysisApi(*store_, {.max_spans = 2}).Handle(r);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->status, 422);
  EXPECT_NE(over->body.find("has more than 2 spans"), std::string::npos) << over->body;
  std::optional<HttpResponse> big =
      AnalysisApi(*store_, {.max_spans = 3, .big_spans = 1}).Handle(r);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->status, 200);
  EXPECT_EQ(big->body, whole->body);
}

// Work for a client that went away is not done: its connection reads EOF.
TEST_F(QueryApiTest, AnalysisAndFilteredTagValuesStopWhenTheClientIsGone) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);  // the client hung up
  HttpRequest r;
  r.method = "GET";
  r.connection_fd = fds[0];
  r.path = r.target = "/api/analysis/traces/10000000000000000000000000000001";
  std::optional<HttpResponse> analysis = AnalysisApi(*store_).Handle(r);
  ASSERT_TRUE(analysis.has_value());
  EXPECT_EQ(analysis->status, 499);
  r.path = "/api/v2/search/tag/resource.service.name/values";
  r.query = "q=%7Bstatus%3Derror%7D";
  r.target = r.path + "?" + r.query;
  EXPECT_EQ(service_->Handle(r).status, 499);
  r.connection_fd = -1;  // the same asked by a client still there
  EXPECT_EQ(service_->Handle(r).status, 200);
  ::close(fds[0]);
}

TEST_F(QueryApiTest, AnalysisNamesTheBrokenHopAcrossTraces) {
  HttpResponse healthy = Get("/api/analysis/traces/10000000000000000000000000000001");
  ASSERT_EQ(healthy.status, 200) << healthy.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(healthy.body);
  EXPECT_EQ(Problems(doc).size(), 0u) << healthy.body;
  // Each service's attribute keys per semantic-conventions generation.
  EXPECT_EQ(std::string_view(doc["services"].at(1)["semconv"]["http"]["generation"]), "old")
      << healthy.body;
  EXPECT_EQ(doc["hops"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(doc["hops"].at(0)["to"]), "pay");
  EXPECT_EQ(uint64_t(doc["spans"]), 3u);

  // Trace 4: gw calls auth on port 8081, but auth ignored the context and
  // rooted trace 5 of its own.
  Add(Tid(4), 1, 0, "gw", "GET /login", SpanKind::kServer, 30'000, 100, StatusCodeValue::kUnset,
      {});
  Add(Tid(4), 2, 1, "gw", "call auth", SpanKind::kClient, 30'010, 50, StatusCodeValue::kUnset,
      {{"server.port", AnyValue::Int(8081)}});
  Add(Tid(5), 7, 0, "auth", "verify", SpanKind::kServer, 30'012, 40, StatusCodeValue::kUnset,
      {{"server.port", AnyValue::Int(8081)}});
  HttpResponse broken = Get("/api/analysis/traces/10000000000000000000000000000004");
  ASSERT_EQ(broken.status, 200) << broken.body;
  doc = parser.parse(broken.body);
  ASSERT_EQ(Problems(doc).size(), 1u) << broken.body;
  simdjson::dom::element f = Problems(doc)[0];
  EXPECT_EQ(std::string_view(f["kind"]), "broken_propagation");
  EXPECT_EQ(std::string_view(f["peerService"]), "gw");
  EXPECT_EQ(std::string_view(f["service"]), "auth");
  EXPECT_EQ(std::string_view(f["otherTraceID"]), "10000000000000000000000000000005");

  EXPECT_EQ(Get("/api/analysis/traces/10000000000000000000000000000099").status, 404);
  HttpResponse bad = Get("/api/analysis/traces/xyz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("xyz"), std::string::npos) << bad.body;
  HttpResponse bad_param =
      Get("/api/analysis/traces/10000000000000000000000000000001?skewTolerance=soon");
  EXPECT_EQ(bad_param.status, 400);
  EXPECT_NE(bad_param.body.find("skewTolerance"), std::string::npos) << bad_param.body;
}

TEST_F(QueryApiTest, ServiceMapCountsCallsErrorsAndLatency) {
  uint64_t start_us = kBase / 1000, end_us = (kBase + 30'000 * kMs) / 1000;
  HttpResponse r = Get(fmt::format("/api/servicemap?start={}&end={}", start_us, end_us));
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  // gw: 3 spans (trace 1's two, trace 2's health check); pay: 2, one an error.
  ASSERT_EQ(doc["nodes"].get_array().size(), 2u) << r.body;
  EXPECT_EQ(std::string_view(doc["nodes"].at(0)["service"]), "gw");
  EXPECT_EQ(uint64_t(doc["nodes"].at(0)["spans"]), 3u);
  EXPECT_EQ(uint64_t(doc["nodes"].at(1)["spans"]), 2u);
  EXPECT_EQ(uint64_t(doc["nodes"].at(1)["errors"]), 1u);
  // The one call crosses a segment and the head: gw's client span, pay's 45 ms server span.
  ASSERT_EQ(doc["edges"].get_array().size(), 1u) << r.body;
  simdjson::dom::element e = doc["edges"].at(0);
  EXPECT_EQ(std::string_view(e["from"]), "gw");
  EXPECT_EQ(std::string_view(e["to"]), "pay");
  EXPECT_EQ(std::string_view(e["kind"]), "rpc");
  EXPECT_EQ(uint64_t(e["calls"]), 1u);
  EXPECT_EQ(uint64_t(e["errors"]), 1u);
  EXPECT_GE(uint64_t(e["p95Micros"]), 45'000u);
  EXPECT_LE(uint64_t(e["p95Micros"]), 50'000u);
  EXPECT_EQ(uint64_t(doc["startMicros"]), start_us);

  // Only trace 3 (at 20 s) in range: a node without edges.
  r = Get(fmt::format("/api/servicemap?start={}&end={}", start_us + 15'000'000, end_us));
  doc = parser.parse(r.body);
  EXPECT_EQ(doc["nodes"].get_array().size(), 1u) << r.body;
  EXPECT_EQ(doc["edges"].get_array().size(), 0u) << r.body;
  EXPECT_EQ(Get("/api/servicemap?lookback=soon").status, 400);
  // Days beyond what hours can hold: a clear 400, not an overflow.
  EXPECT_EQ(Get("/api/servicemap?lookback=999999999999999999d").status, 400);
  EXPECT_EQ(Get("/api/servicemap?lookback=99999999999999999999999d").status, 400);
  EXPECT_EQ(Get(fmt::format("/api/servicemap?start={}&end={}", end_us, start_us)).status, 400);
}

TEST_F(QueryApiTest, TheWebUiIsServedOutsideApi) {
  std::filesystem::path ui = dir_ / "ui";
  std::filesystem::create_directories(ui / "assets");
  std::ofstream(ui / "index.html") << "<html>app</html>";
  std::ofstream(ui / "assets" / "app-1a2b.js") << "console.log(1)";
  QueryService with_ui([this] { return store_.get(); }, StaticFiles(ui.string()));
  auto get = [&](std::string path) {
    HttpRequest req;
    req.method = "GET";
    req.path = std::move(path);
    return with_ui.Handle(req);
  };
  HttpResponse index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>app</html>");
  EXPECT_EQ(get("/trace/10000000000000000000000000000001").body, "<html>app</html>");
  HttpResponse js = get("/assets/app-1a2b.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  bool immutable = false, javascript = false;
  for (const auto& [k, v] : js.headers) {
    immutable |= k == "Cache-Control" && v.find("immutable") != std::string::npos;
    javascript |= k == "Content-Type" && v.starts_with("text/javascript");
  }
  EXPECT_TRUE(immutable && javascript);
  EXPECT_EQ(get("/assets/missing.js").status, 404);
  EXPECT_EQ(get("/../query_api_test.cc").status, 404);
  EXPECT_EQ(get("/%2e%2e/x.js").status, 404);
  EXPECT_EQ(get("/api/services").status, 200);  // the APIs are unchanged
  EXPECT_EQ(get("/api/nothing").status, 404);
  EXPECT_EQ(StaticFiles::FindRoot({(dir_ / "none").string(), ui.string()}),
            std::filesystem::weakly_canonical(ui).string());
  EXPECT_EQ(StaticFiles::FindRoot({(dir_ / "none").string()}), "");
}

TEST_F(QueryApiTest, BacklinksFindTheSpansOfOtherTracesLinkingHere) {
  AddLinking(Tid(6), "worker", 40'000, Tid(1), 3);
  ASSERT_TRUE(store_->SealHead().ok());  // one backlink in a segment, the others in the head
  AddLinking(Tid(7), "audit", 50'000, Tid(1), 1);
  AddLinking(Tid(8), "worker", 60'000, Tid(2), 1);  // links elsewhere
  AddLinking(Tid(1), "gw", 70, Tid(1), 2);          // inside trace 1 itself

  HttpResponse r = Get("/api/backlinks/traces/10000000000000000000000000000001");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  ASSERT_EQ(doc["data"].get_array().size(), 2u) << r.body;
  simdjson::dom::element first = doc["data"].at(0), second = doc["data"].at(1);
  EXPECT_EQ(std::string_view(first["traceID"]), "10000000000000000000000000000006");
  EXPECT_EQ(std::string_view(first["spanID"]), "0000000000000042");
  EXPECT_EQ(std::string_view(first["serviceName"]), "worker");
  EXPECT_EQ(std::string_view(first["operationName"]), "consume batch");
  EXPECT_EQ(std::string_view(first["linkedSpanID"]), "0000000000000003");
  EXPECT_EQ(std::string_view(second["traceID"]), "10000000000000000000000000000007");
  EXPECT_EQ(std::string_view(second["linkedSpanID"]), "0000000000000001");
  EXPECT_FALSE(bool(doc["truncated"]));

  // The time window bounds the linking spans' start; limit truncates.
  uint64_t at_45s_us = (kBase + 45'000 * kMs) / 1000;
  doc = parser.parse(Get(fmt::format("/api/backlinks/traces/10000000000000000000000000000001"
                                     "?start={}",
                                     at_45s_us))
                         .body);
  ASSERT_EQ(doc["data"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(doc["data"].at(0)["traceID"]), "10000000000000000000000000000007");
  doc = parser.parse(Get("/api/backlinks/traces/10000000000000000000000000000001?limit=1").body);
  EXPECT_EQ(doc["data"].get_array().size(), 1u);
  EXPECT_TRUE(bool(doc["truncated"]));

  doc = parser.parse(Get("/api/backlinks/traces/10000000000000000000000000000003").body);
  EXPECT_EQ(doc["data"].get_array().size(), 0u);
  HttpResponse bad = Get("/api/backlinks/traces/nothex");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("nothex"), std::string::npos) << bad.body;
  bad = Get("/api/backlinks/traces/10000000000000000000000000000001?limit=0");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("limit"), std::string::npos) << bad.body;

  // The same through TraceQL (Tempo's link intrinsics), either case.
  EXPECT_EQ(TraceQL(R"({ link:traceID = "10000000000000000000000000000001" })"), V({7, 6, 1}));
  EXPECT_EQ(TraceQL(R"({ link:traceID = "10000000000000000000000000000002" })"), V({8}));
  EXPECT_EQ(TraceQL(R"({ link:spanID = "0000000000000003" && resource.service.name = "worker" })"),
            V({6}));
  EXPECT_EQ(TraceQL(R"({ link:traceID =~ "1000.*0002" })"), V({8}));
  EXPECT_EQ(Get("/api/search?q=%7B%20link%3AtraceID%20%3E%203%20%7D").status, 400);
}

TEST_F(QueryApiTest, JaegerV3ServesTheJaegerUisSearch) {
  simdjson::dom::parser parser;
  HttpResponse r = Get("/api/v3/services");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = parser.parse(r.body);
  ASSERT_EQ(doc["services"].get_array().size(), 2u);
  EXPECT_EQ(std::string_view(doc["services"].at(1)), "pay");
  for (const char* kind : {"span_kind", "spanKind"}) {  // Jaeger's older and newer names
    doc = parser.parse(Get(std::string("/api/v3/operations?service=pay&") + kind + "=server").body);
    ASSERT_EQ(doc["operations"].get_array().size(), 1u) << kind;
    EXPECT_EQ(std::string_view(doc["operations"].at(0)["name"]), "charge");
    EXPECT_EQ(std::string_view(doc["operations"].at(0)["spanKind"]), "server");
  }

  // kBase is 2023-11-14T22:13:20Z; trace 3 (orphan) starts 20 s later, inside the window.
  r =
      Get("/api/v3/trace-summaries?query.serviceName=pay&query.startTimeMin=2023-11-14T22:13:20Z"
          "&query.startTimeMax=2023-11-14T23:14:00.5%2B01:00");  // = 22:14:00.5Z
  ASSERT_EQ(r.status, 200) << r.body;
  doc = parser.parse(r.body);
  ASSERT_EQ(doc["summaries"].get_array().size(), 2u) << r.body;
  simdjson::dom::element orphan = doc["summaries"].at(0), checkout = doc["summaries"].at(1);
  EXPECT_EQ(std::string_view(orphan["traceId"]), "10000000000000000000000000000003");
  EXPECT_EQ(uint64_t(orphan["orphanSpanCount"]), 1u);
  EXPECT_EQ(std::string_view(checkout["traceId"]), "10000000000000000000000000000001");
  EXPECT_EQ(std::string_view(checkout["rootServiceName"]), "gw");
  EXPECT_EQ(std::string_view(checkout["rootOperationName"]), "GET /checkout");
  EXPECT_EQ(std::string_view(checkout["minStartTimeUnixNano"]), std::to_string(kBase));
  EXPECT_EQ(std::string_view(checkout["maxEndTimeUnixNano"]), std::to_string(kBase + 100 * kMs));
  EXPECT_EQ(uint64_t(checkout["spanCount"]), 3u);
  EXPECT_EQ(uint64_t(checkout["errorSpanCount"]), 1u);
  ASSERT_EQ(checkout["services"].get_array().size(), 2u);
  EXPECT_EQ(std::string_view(checkout["services"].at(0)["name"]), "gw");
  EXPECT_EQ(uint64_t(checkout["services"].at(0)["spanCount"]), 2u);
  EXPECT_EQ(uint64_t(checkout["services"].at(1)["errorSpanCount"]), 1u);

  // Attributes, duration and the time window narrow it.
  doc = parser.parse(
      Get("/api/v3/trace-summaries?query.attributes=%7B%22http.status_code%22%3A500%7D").body);
  ASSERT_EQ(doc["summaries"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(doc["summaries"].at(0)["traceId"]),
            "10000000000000000000000000000001");
  doc = parser.parse(
      Get("/api/v3/trace-summaries?query.durationMin=40ms&query.serviceName=pay").body);
  EXPECT_EQ(doc["summaries"].get_array().size(), 1u);
  doc = parser.parse(
      Get("/api/v3/trace-summaries?query.startTimeMin=2023-11-14T22:13:25Z&query.serviceName=pay")
          .body);
  EXPECT_EQ(doc["summaries"].get_array().size(), 1u);

  doc = parser.parse(Get("/api/v3/trace-summaries?query.serviceName=pay"
                         "&query.startTimeMax=2023-11-14T23:13:20.5%2B01:00")  // = 22:13:20.5Z
                         .body);
  ASSERT_EQ(doc["summaries"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(doc["summaries"].at(0)["traceId"]),
            "10000000000000000000000000000001");

  HttpResponse bad = Get("/api/v3/trace-summaries?query.startTimeMin=yesterday");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("query.startTimeMin"), std::string::npos) << bad.body;
  bad = Get("/api/v3/trace-summaries?query.attributes=%7Bnope");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("query.attributes"), std::string::npos) << bad.body;
  EXPECT_EQ(Get("/api/v3/operations").status, 400);
  EXPECT_EQ(Get("/api/v3/nothing").status, 404);

  r = Get("/api/v3/traces/10000000000000000000000000000001");
  ASSERT_EQ(r.status, 200) << r.body;
  doc = parser.parse(r.body);
  size_t spans = 0;
  for (simdjson::dom::element rs : doc["result"]["resourceSpans"].get_array())
    for (simdjson::dom::element ss : rs["scopeSpans"].get_array())
      spans += ss["spans"].get_array().size();
  EXPECT_EQ(spans, 3u);
  EXPECT_EQ(Get("/api/v3/traces/10000000000000000000000000000099").status, 404);
  EXPECT_EQ(Get("/api/v3/traces/xyz").status, 400);

  // Find traces: the summaries' query, answered with the traces themselves in one OTLP batch,
  // newest first; by the snake_case names Jaeger still takes as well.
  for (const char* query : {"query.serviceName=pay&query.startTimeMin=2023-11-14T22:13:20Z"
                            "&query.startTimeMax=2023-11-14T22:14:00.5Z&query.searchDepth=5",
                            "query.service_name=pay&query.start_time_min=2023-11-14T22:13:20Z"
                            "&query.start_time_max=2023-11-14T22:14:00.5Z&query.num_traces=5"}) {
    r = Get(std::string("/api/v3/traces?") + query);
    ASSERT_EQ(r.status, 200) << query << ": " << r.body;
    doc = parser.parse(r.body);
    std::vector<std::string> traces;  // each span's trace, in the answer's order
    for (simdjson::dom::element rs : doc["result"]["resourceSpans"].get_array())
      for (simdjson::dom::element ss : rs["scopeSpans"].get_array())
        for (simdjson::dom::element span : ss["spans"].get_array()) {
          std::string id{std::string_view(span["traceId"])};
          if (traces.empty() || traces.back() != id) traces.push_back(id);
        }
    EXPECT_EQ(traces, (std::vector<std::string>{"10000000000000000000000000000003",
                                                "10000000000000000000000000000001"}))
        << query;
  }
  doc = parser.parse(
      Get("/api/v3/trace-summaries?query.service_name=pay&query.duration_min=40ms").body);
  EXPECT_EQ(doc["summaries"].get_array().size(), 1u) << "snake_case names";
  r = Get("/api/v3/traces?query.serviceName=nobody");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":{"httpCode":404,"message":"No traces found"}})");
  r = Get("/api/v3/traces?query.service_name=pay&query.start_time_min=soon");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("query.start_time_min"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace polytrace::query

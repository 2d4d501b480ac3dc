#include "query/traceql/evaluator.h"

#include <gtest/gtest.h>

#include "query/traceql/parser.h"

namespace polytrace::traceql {
namespace {

constexpr uint64_t kMs = 1'000'000;

// gw: GET /checkout (server) -> call auth (client) -> auth: verify (server, error)
//                            -> call pay (client)  -> pay: charge (server, 500)
// pay: retry (internal, parent missing: an orphan)
class TraceqlEvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("gw", 1, 0, "GET /checkout", SpanKind::kServer, 0, 100, StatusCodeValue::kUnset,
        {{"http.method", AnyValue::String("GET")}, {"http.status_code", AnyValue::Int(200)}});
    Add("gw", 2, 1, "call auth", SpanKind::kClient, 10, 20, StatusCodeValue::kUnset,
        {{"peer", AnyValue::String("auth")}});
    Add("auth", 3, 2, "verify", SpanKind::kServer, 12, 15, StatusCodeValue::kError,
        {{"user.premium", AnyValue::Bool(true)}, {"score", AnyValue::Double(0.75)}});
    Add("gw", 4, 1, "call pay", SpanKind::kClient, 40, 50, StatusCodeValue::kUnset, {});
    Add("pay", 5, 4, "charge", SpanKind::kServer, 42, 45, StatusCodeValue::kUnset,
        {{"http.status_code", AnyValue::Int(500)}});
    Add("pay", 6, 99, "retry", SpanKind::kInternal, 95, 1, StatusCodeValue::kUnset, {});
    trace_ = analysis::AssembleTrace(traces_);
  }

  void Add(std::string_view service, uint8_t id, uint8_t parent, std::string_view name,
           SpanKind kind, uint64_t start_ms, uint64_t duration_ms, StatusCodeValue status,
           std::vector<KeyValue> attributes) {
    Arena& a = traces_.arena();
    ResourceSpans& rs = traces_.resource_spans().Append(a);
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(service)});
    if (service == "gw") rs.resource.attributes.Append(a, {"env", AnyValue::String("prod")});
    Span& s = rs.scope_spans.Append(a).spans.Append(a);
    s.trace_id.bytes[0] = 7;
    s.span_id.bytes[7] = id;
    s.parent_span_id.bytes[7] = parent;
    s.name = name;
    s.kind = kind;
    s.start_time_unix_nano = start_ms * kMs;
    s.end_time_unix_nano = (start_ms + duration_ms) * kMs;
    s.status.code = status;
    for (const KeyValue& kv : attributes) s.attributes.Append(a, kv);
  }

  // Span IDs (1-6) of the matched spans, in start order.
  std::vector<int> Ids(std::string_view q) {
    auto parsed = Parse(q);
    EXPECT_TRUE(parsed.ok()) << q << ": " << parsed.status().message();
    if (!parsed.ok()) return {-1};
    std::vector<int> ids;
    for (int i : Evaluate(**parsed, MakeContext(trace_)))
      ids.push_back(trace_.spans[i].span->span_id.bytes[7]);
    return ids;
  }

  Traces traces_;
  analysis::AssembledTrace trace_;
};

using V = std::vector<int>;

TEST_F(TraceqlEvaluatorTest, Attributes) {
  EXPECT_EQ(Ids("{ resource.service.name = \"gw\" }"), (V{1, 2, 4}));
  EXPECT_EQ(Ids("{ resource.env = \"prod\" }"), (V{1, 2, 4}));
  EXPECT_EQ(Ids("{ .env = \"prod\" }"), (V{1, 2, 4}));
  EXPECT_EQ(Ids("{ span.env = \"prod\" }"), V{});
  EXPECT_EQ(Ids("{ .http.status_code >= 500 }"), (V{5}));
  EXPECT_EQ(Ids("{ span.http.status_code != 200 }"), (V{5}));  // missing never matches
  EXPECT_EQ(Ids("{ span.user.premium = true }"), (V{3}));
  EXPECT_EQ(Ids("{ span.score > 0.5 }"), (V{3}));
  EXPECT_EQ(Ids("{ span.score > 1 }"), V{});
  EXPECT_EQ(Ids("{ span.http.status_code > 250.5 }"), (V{5}));  // int attribute, double literal
  EXPECT_EQ(Ids("{ span.missing = nil && span.peer != nil }"), (V{2}));
  EXPECT_EQ(Ids("{ span.http.method = \"GET\" }"), (V{1}));
  EXPECT_EQ(Ids("{ span.http.method < \"H\" }"), (V{1}));
}

TEST_F(TraceqlEvaluatorTest, Intrinsics) {
  EXPECT_EQ(Ids("{ status = error }"), (V{3}));
  EXPECT_EQ(Ids("{ status != error }"), (V{1, 2, 4, 5, 6}));
  EXPECT_EQ(Ids("{ kind = server && duration > 40ms }"), (V{1, 5}));
  EXPECT_EQ(Ids("{ span:kind = client && span:duration <= 20ms }"), (V{2}));
  EXPECT_EQ(Ids("{ name =~ \"call .*\" }"), (V{2, 4}));
  EXPECT_EQ(Ids("{ name !~ \"call .*\" }"), (V{1, 3, 5, 6}));
  EXPECT_EQ(Ids("{ name =~ \"call\" }"), V{});  // a full match, as Tempo
  EXPECT_EQ(Ids("{ rootServiceName = \"gw\" && kind = server }"), (V{1, 3, 5}));
  EXPECT_EQ(Ids("{ trace:rootName = \"GET /checkout\" && name = \"retry\" }"), (V{6}));
  EXPECT_EQ(Ids("{ traceDuration > 90ms && kind = internal }"), (V{6}));
  EXPECT_EQ(Ids("{ traceDuration > 200ms }"), V{});
  EXPECT_EQ(Ids("{}"), (V{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Ids("{ (name = \"verify\" || name = \"charge\") && status = unset }"), (V{5}));
}

TEST_F(TraceqlEvaluatorTest, SpansetOperators) {
  EXPECT_EQ(Ids("{ kind = client } > { kind = server }"), (V{3, 5}));
  EXPECT_EQ(Ids("{ resource.service.name = \"gw\" } >> { status = error }"), (V{3}));
  EXPECT_EQ(Ids("{ name = \"GET /checkout\" } > { status = error }"), V{});  // grandchild
  EXPECT_EQ(Ids("{ kind = server } >> { name = \"retry\" }"), V{});  // the orphan has no parent
  EXPECT_EQ(Ids("{ name = \"verify\" } && { name = \"charge\" }"), (V{3, 5}));
  EXPECT_EQ(Ids("{ name = \"verify\" } && { name = \"nope\" }"), V{});
  EXPECT_EQ(Ids("{ name = \"verify\" } || { name = \"nope\" }"), (V{3}));
  EXPECT_EQ(Ids("({ name = \"verify\" } || { name = \"charge\" }) && { status = error }"),
            (V{3, 5}));
}

// Issue #12: the old backtracking engine recursed per character; a 30,000-character value
// overflowed the stack; the same query killed the process again after a restart.
TEST_F(TraceqlEvaluatorTest, RegexesOnLongValuesAnswerWithoutCrashing) {
  std::string long_name(30000, 'a');
  std::string url = "https://example.com/" + std::string(30000, 'x');
  Add("gw", 7, 1, long_name, SpanKind::kInternal, 60, 1, StatusCodeValue::kUnset,
      {{"http.url", AnyValue::String(url)}});
  trace_ = analysis::AssembleTrace(traces_);
  EXPECT_EQ(Ids("{ span.http.url =~ \"https://.*\" }"), (V{7}));
  EXPECT_EQ(Ids("{ name =~ \"(a+)+b\" }"), V{});
  EXPECT_EQ(Ids("{ name =~ \"(a|aa)*c\" }"), V{});
  EXPECT_EQ(Ids("{ name =~ \"(a|aa)*\" }"), (V{7}));
  EXPECT_EQ(Ids("{ name !~ \"(a+)+b\" }"), (V{1, 2, 3, 4, 5, 7, 6}));
}

TEST_F(TraceqlEvaluatorTest, TheDeepestAcceptedQueriesEvaluate) {
  std::string chain = "{ name = \"verify\" }";
  for (int i = 1; i < 512; ++i) chain += " && { name = \"verify\" }";
  EXPECT_EQ(Ids(chain), (V{3}));
  std::string nested =
      "{ " + std::string(511, '(') + "name = \"charge\"" + std::string(511, ')') + " }";
  EXPECT_EQ(Ids(nested), (V{5}));
}

TEST_F(TraceqlEvaluatorTest, RequiredFilterIsConservative) {
  auto q = Parse(
      "{ resource.service.name = \"gw\" && duration > 5ms && span.k = \"v\" && name = \"n\" } > "
      "{}");
  ASSERT_TRUE(q.ok());
  store::SpanFilter f = RequiredSpanFilter(**q);
  EXPECT_EQ(f.service, "gw");
  EXPECT_EQ(f.operation, "n");
  EXPECT_EQ(f.min_duration_nanos, 5 * kMs);
  ASSERT_EQ(f.tags.size(), 1u);
  EXPECT_EQ(f.tags[0], (std::pair<std::string, std::string>{"k", "v"}));
  auto errors = Parse("{ status = error && kind = server }");
  EXPECT_EQ(RequiredSpanFilter(**errors).status, StatusCodeValue::kError);
  EXPECT_EQ(RequiredSpanFilter(**errors).kind, SpanKind::kServer);
  auto either = Parse("{ resource.service.name = \"a\" } || { resource.service.name = \"b\" }");
  EXPECT_TRUE(RequiredSpanFilter(**either).service.empty());
  auto inner_or = Parse("{ resource.service.name = \"a\" || name = \"x\" }");
  EXPECT_TRUE(RequiredSpanFilter(**inner_or).service.empty());
  EXPECT_TRUE(RequiredSpanFilter(**inner_or).operation.empty());
  auto linked = Parse("{ link:traceID = \"0102030405060708090A0B0C0D0E0F10\" }");
  ASSERT_TRUE(linked.ok());
  ASSERT_TRUE(RequiredSpanFilter(**linked).linked_trace.has_value());
  EXPECT_EQ(RequiredSpanFilter(**linked).linked_trace->ToHex(), "0102030405060708090a0b0c0d0e0f10");
  auto linked_or = Parse("{ link:traceID = \"0102030405060708090a0b0c0d0e0f10\" || name = \"x\" }");
  EXPECT_FALSE(RequiredSpanFilter(**linked_or).linked_trace.has_value());
  // Numbers and bools narrow by their string form (what the attribute index keeps).
  auto typed = Parse("{ span.http.status_code = 500 && span.cache.hit = true && span.r = 0.5 }");
  ASSERT_TRUE(typed.ok());
  using Tag = std::pair<std::string, std::string>;
  EXPECT_EQ(RequiredSpanFilter(**typed).tags,
            (std::vector<Tag>{{"http.status_code", "500"}, {"cache.hit", "true"}}));
  // An int whose double has another string form would miss double attributes.
  auto huge = Parse("{ span.n = 1152921504606846977 }");
  ASSERT_TRUE(huge.ok());
  EXPECT_TRUE(RequiredSpanFilter(**huge).tags.empty());
}

}  // namespace
}  // namespace polytrace::traceql

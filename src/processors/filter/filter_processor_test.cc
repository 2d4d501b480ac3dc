#include "processors/filter/filter_processor.h"

#include <gtest/gtest.h>

#include "processors/filter/ottl.h"
#include "telemetry/logging.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

Result<FilterConfig> Parse(const std::string& yaml) {
  FilterConfig c;
  ConfigReader r(YAML::Load(yaml), "processors.filter", "c.yaml");
  Status st = c.Unmarshal(r);
  if (!st.ok()) return st;
  return c;
}

// Names of the spans that survive the filter.
std::vector<std::string> Survivors(const std::string& yaml, Traces input) {
  auto config = Parse(yaml);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  testing::TracesSink sink;
  testing::TestHost host;
  Settings s;
  s.id = {"filter", ""};
  s.logger = MakeLogger("processor/filter-test");
  FilterProcessor p(s, *config, &sink);
  EXPECT_TRUE(p.Start(host).ok());
  EXPECT_TRUE(p.ConsumeTraces(std::move(input)).ok());
  std::vector<std::string> names;
  sink.Inspect([&](const std::vector<Traces>& batches) {
    for (const Traces& t : batches)
      for (const auto& rs : t.resource_spans())
        for (const auto& ss : rs.scope_spans)
          for (const auto& sp : ss.spans) names.emplace_back(sp.name);
  });
  return names;
}

Traces Sample() {
  Traces t = testing::MakeTraces("checkout", 4);
  auto& spans = t.resource_spans()[0].scope_spans[0].spans;
  spans[0].attributes.Append(t.arena(), KeyValue{"http.status_code", AnyValue::Int(503)});
  spans[1].kind = SpanKind::kClient;
  spans[2].status.code = StatusCodeValue::kError;
  spans[3].end_time_unix_nano = spans[3].start_time_unix_nano + 10'000'000;
  return t;
}

TEST(FilterProcessorTest, OttlConditionsDropMatchingSpans) {
  EXPECT_EQ(
      Survivors("traces:\n  span:\n    - 'attributes[\"http.status_code\"] >= 500'\n", Sample()),
      std::vector<std::string>({"span-1", "span-2", "span-3"}));
  EXPECT_EQ(Survivors("traces:\n  span:\n    - 'kind == SPAN_KIND_CLIENT or status.code == "
                      "STATUS_CODE_ERROR'\n",
                      Sample()),
            std::vector<std::string>({"span-0", "span-3"}));
  EXPECT_EQ(
      Survivors("traces:\n  span:\n    - 'end_time_unix_nano - start_time_unix_nano < 1000000'\n",
                Sample()),
      std::vector<std::string>({"span-3"}));
  EXPECT_EQ(
      Survivors(
          "traces:\n  span:\n    - 'resource.attributes[\"service.name\"] == \"checkout\" and "
          "not IsMatch(name, \"^span-[01]$\")'\n",
          Sample()),
      std::vector<std::string>({"span-0", "span-1"}));
  EXPECT_EQ(
      Survivors("traces:\n  span:\n    - 'attributes[\"missing\"] != nil'\n", Sample()).size(), 4u);
}

TEST(FilterProcessorTest, LegacyIncludeKeepsOnlyMatches) {
  EXPECT_EQ(
      Survivors("spans:\n  include:\n    match_type: strict\n    span_names: [span-2]\n", Sample()),
      std::vector<std::string>({"span-2"}));
}

TEST(FilterProcessorTest, ParseErrorsNameConditionAndColumn) {
  auto c = Parse("traces:\n  span:\n    - 'name == \"a\"'\n    - 'name === \"b\"'\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("condition [1] \"name === \"b\"\": column 8"),
            std::string::npos)
      << c.status().message();
  c = Parse("traces:\n  span:\n    - 'nmae == \"a\"'\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown path \"nmae\""), std::string::npos);
}

TEST(FilterProcessorTest, AllDroppedSendsNothing) {
  EXPECT_TRUE(Survivors("traces:\n  span:\n    - 'true'\n", Sample()).empty());
}

// Issue #12: a regex condition and one span with a 30,000-character
// `http.url` overflowed the stack (the old backtracking engine), again on
// every SDK retry.
TEST(FilterProcessorTest, RegexesOnLongValuesDoNotCrash) {
  auto with_long_url = [] {
    Traces t = Sample();
    std::string url = "https://example.com/" + std::string(30000, 'a') + "/health";
    t.resource_spans()[0].scope_spans[0].spans[1].attributes.Append(
        t.arena(), KeyValue{"http.url", AnyValue::String(t.arena().Copy(url))});
    return t;
  };
  EXPECT_EQ(Survivors("traces:\n  span:\n    - 'IsMatch(attributes[\"http.url\"], "
                      "\".*/health.*\")'\n",
                      with_long_url()),
            std::vector<std::string>({"span-0", "span-2", "span-3"}));
  EXPECT_EQ(Survivors("traces:\n  span:\n    - 'IsMatch(attributes[\"http.url\"], \"(a+)+b\")'\n",
                      with_long_url())
                .size(),
            4u);
  EXPECT_EQ(Survivors("spans:\n  exclude:\n    match_type: regexp\n    attributes:\n"
                      "      - key: http.url\n        value: .*/health.*\n",
                      with_long_url()),
            std::vector<std::string>({"span-0", "span-2", "span-3"}));
}

TEST(FilterProcessorTest, RegexesOutsideGoSyntaxAreConfigErrors) {
  auto c = Parse("traces:\n  span:\n    - 'IsMatch(name, \"(a)\\\\1\")'\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("invalid regular expression"), std::string::npos)
      << c.status().message();
  c = Parse("spans:\n  exclude:\n    match_type: regexp\n    span_names: ['(?=x)']\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("span_names"), std::string::npos) << c.status().message();
}

// Found by fuzzing: int64 + and - overflowed (undefined behaviour).
TEST(FilterProcessorTest, IntegerOverflowIsAnEvaluationError) {
  auto condition = ottl::Condition::Parse("9223372036854775807 + 1 > 0");
  ASSERT_TRUE(condition.ok()) << condition.status().message();
  Traces t = Sample();
  const ResourceSpans& rs = t.resource_spans()[0];
  ottl::SpanContext ctx{rs, rs.scope_spans[0], rs.scope_spans[0].spans[0]};
  Result<bool> r = condition->Evaluate(ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("integer overflow"), std::string::npos);
  EXPECT_FALSE(ottl::Condition::Parse("-9223372036854775807 - 2 < 0")->Evaluate(ctx).ok());
  Result<bool> fits = ottl::Condition::Parse("9223372036854775806 + 1 > 0")->Evaluate(ctx);
  ASSERT_TRUE(fits.ok());
  EXPECT_TRUE(*fits);
}

TEST(FilterProcessorTest, ConditionDepthIsBoundedWithAnError) {
  std::string deep = std::string(10000, '(') + "true" + std::string(10000, ')');
  auto c = Parse("traces:\n  span:\n    - '" + deep + "'\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("nested deeper than 512 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "not ";
  EXPECT_FALSE(Parse("traces:\n  span:\n    - '" + nots + "true'\n").ok());
  std::string chain = "name == \"x\"";
  for (int i = 0; i < 10000; ++i) chain += " or name == \"x\"";
  EXPECT_FALSE(Parse("traces:\n  span:\n    - '" + chain + "'\n").ok());
  // The deepest accepted condition still evaluates.
  std::string ok_chain = "name == \"span-2\"";
  // 511 comparisons (two levels each) under 510 `or`s: 512 levels.
  for (int i = 1; i < 511; ++i) ok_chain += " or name == \"none\"";
  EXPECT_EQ(Survivors("traces:\n  span:\n    - '" + ok_chain + "'\n", Sample()),
            std::vector<std::string>({"span-0", "span-1", "span-3"}));
}

}  // namespace
}  // namespace polytrace

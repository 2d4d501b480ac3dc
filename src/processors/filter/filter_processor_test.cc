#include "processors/filter/filter_processor.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace polytrace

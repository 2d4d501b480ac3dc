#include "processors/attributes/attributes_processor.h"

#include <gtest/gtest.h>

#include "testing/traces_sink.h"

namespace polytrace {
namespace {

TEST(AttributesProcessorTest, ActsOnlyOnIncludedSpans) {
  AttributesConfig config;
  ConfigReader r(YAML::Load(R"(
include:
  match_type: regexp
  span_names: ['^span-[01]$']
exclude:
  match_type: strict
  span_names: [span-0]
actions:
  - {key: tagged, value: true, action: insert}
)"),
                 "processors.attributes", "c.yaml");
  ASSERT_TRUE(config.Unmarshal(r).ok());
  testing::TracesSink sink;
  AttributesProcessor p(config, &sink);
  ASSERT_TRUE(p.ConsumeTraces(testing::MakeTraces("svc", 3)).ok());
  sink.Inspect([](const std::vector<Traces>& b) {
    const auto& spans = b[0].resource_spans()[0].scope_spans[0].spans;
    EXPECT_EQ(FindAttribute(spans[0].attributes, "tagged"), nullptr);
    ASSERT_NE(FindAttribute(spans[1].attributes, "tagged"), nullptr);
    EXPECT_TRUE(FindAttribute(spans[1].attributes, "tagged")->bool_value);
    EXPECT_EQ(FindAttribute(spans[2].attributes, "tagged"), nullptr);
  });
}

TEST(AttributesProcessorTest, UnknownKeyIsAnError) {
  AttributesConfig config;
  ConfigReader r(YAML::Load("actions: [{key: a, value: 1, action: insert}]\nincluded: {}\n"),
                 "processors.attributes", "c.yaml");
  Status st = config.Unmarshal(r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown key \"included\""), std::string::npos);
}

}  // namespace
}  // namespace polytrace

#include "processors/resource/resource_processor.h"

#include <gtest/gtest.h>

#include "testing/traces_sink.h"

namespace polytrace {
namespace {

TEST(ResourceProcessorTest, SeedUpsertReachesEveryResource) {
  ResourceConfig config;
  ConfigReader r(
      YAML::Load("attributes:\n  - key: environment\n    value: production\n    action: upsert\n"),
      "processors.resource", "c.yaml");
  ASSERT_TRUE(config.Unmarshal(r).ok());
  testing::TracesSink sink;
  ResourceProcessor p(config, &sink);
  Traces t = testing::MakeTraces("a", 2);
  t.Append(testing::MakeTraces("b", 1));
  t.resource_spans()[1].resource.attributes.Append(
      t.arena(), KeyValue{"environment", AnyValue::String("staging")});
  ASSERT_TRUE(p.ConsumeTraces(std::move(t)).ok());
  sink.Inspect([](const std::vector<Traces>& b) {
    for (const ResourceSpans& rs : b[0].resource_spans()) {
      const AnyValue* env = FindAttribute(rs.resource.attributes, "environment");
      ASSERT_NE(env, nullptr);
      EXPECT_EQ(env->string_value, "production");
    }
  });
}

TEST(ResourceProcessorTest, EmptyActionListIsAnError) {
  ResourceConfig config;
  ConfigReader r(YAML::Load("attributes: []\n"), "processors.resource", "c.yaml");
  EXPECT_FALSE(config.Unmarshal(r).ok());
}

}  // namespace
}  // namespace polytrace

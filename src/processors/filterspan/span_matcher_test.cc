#include "processors/filterspan/span_matcher.h"

#include <gtest/gtest.h>

#include "testing/traces_sink.h"

namespace polytrace {
namespace {

Result<SpanSelection> Parse(const std::string& yaml) {
  ConfigReader r(YAML::Load(yaml), "processors.attributes", "c.yaml");
  return SpanSelection::Parse(r);
}

TEST(SpanMatcherTest, StrictServicesAndNames) {
  auto sel =
      Parse("include:\n  match_type: strict\n  services: [checkout]\n  span_names: [span-1]\n");
  ASSERT_TRUE(sel.ok()) << sel.status().ToString();
  Traces t = testing::MakeTraces("checkout", 3);
  const auto& rs = t.resource_spans()[0];
  const auto& ss = rs.scope_spans[0];
  EXPECT_FALSE(sel->Selects(rs, ss, ss.spans[0]));
  EXPECT_TRUE(sel->Selects(rs, ss, ss.spans[1]));
}

TEST(SpanMatcherTest, RegexpExcludeWithKindsAndAttributes) {
  auto sel = Parse(
      "exclude:\n  match_type: regexp\n  span_names: ['^span-[12]$']\n  span_kinds: "
      "[SPAN_KIND_SERVER]\n");
  ASSERT_TRUE(sel.ok());
  Traces t = testing::MakeTraces("svc", 3);
  const auto& rs = t.resource_spans()[0];
  const auto& ss = rs.scope_spans[0];
  EXPECT_TRUE(sel->Selects(rs, ss, ss.spans[0]));
  EXPECT_FALSE(sel->Selects(rs, ss, ss.spans[2]));
}

TEST(SpanMatcherTest, AttributeValueMustMatch) {
  auto sel = Parse("include:\n  match_type: strict\n  attributes: [{key: env, value: prod}]\n");
  ASSERT_TRUE(sel.ok());
  Traces t = testing::MakeTraces("svc", 2);
  auto& rs = t.resource_spans()[0];
  auto& ss = rs.scope_spans[0];
  ss.spans[0].attributes.Append(t.arena(), KeyValue{"env", AnyValue::String("prod")});
  ss.spans[1].attributes.Append(t.arena(), KeyValue{"env", AnyValue::String("dev")});
  EXPECT_TRUE(sel->Selects(rs, ss, ss.spans[0]));
  EXPECT_FALSE(sel->Selects(rs, ss, ss.spans[1]));
}

TEST(SpanMatcherTest, BadMatchTypeAndKindAreErrors) {
  EXPECT_FALSE(Parse("include:\n  match_type: fuzzy\n  services: [a]\n").ok());
  auto sel = Parse("include:\n  match_type: strict\n  span_kinds: [SERVER]\n");
  ASSERT_FALSE(sel.ok());
  EXPECT_NE(sel.status().message().find("unknown span kind \"SERVER\""), std::string::npos);
}

}  // namespace
}  // namespace polytrace

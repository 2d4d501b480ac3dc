#include "processors/attraction/attraction.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

AttributeActions Parse(const std::string& yaml) {
  ConfigReader root(YAML::Load(yaml), "processors.attributes", "c.yaml");
  auto list = root.ChildList("actions");
  EXPECT_TRUE(list.ok());
  auto actions = AttributeActions::Parse(*list);
  EXPECT_TRUE(actions.ok()) << actions.status().ToString();
  return *actions;
}

// printf 'a@b.c' | sha256sum
constexpr char kSha256OfEmail[] =
    "d648b243a3e817eaa3309e00e183483f2867baadf522099f0c2121770536b25a";

Attributes Sample(Arena& a) {
  Attributes at;
  at.Append(a, KeyValue{"http.url", AnyValue::String("/api/v1/document/12345678/update")});
  at.Append(a, KeyValue{"user.email", AnyValue::String("a@b.c")});
  at.Append(a, KeyValue{"count", AnyValue::String("42")});
  at.Append(a, KeyValue{"secret.token", AnyValue::String("t")});
  return at;
}

std::string Get(const Attributes& at, std::string_view key) {
  const AnyValue* v = FindAttribute(at, key);
  return v ? ValueToString(*v) : "<absent>";
}

TEST(AttractionTest, InsertUpdateUpsertFollowTheCollector) {
  AttributeActions actions = Parse(R"(actions:
  - {key: environment, value: production, action: upsert}
  - {key: user.email, value: x, action: insert}
  - {key: missing, value: x, action: update}
  - {key: copied, from_attribute: count, action: insert}
  - {key: port, value: 8080, action: insert}
  - {key: quoted, value: "8080", action: insert}
)");
  Arena a;
  Attributes at = Sample(a);
  actions.Apply(a, at);
  EXPECT_EQ(Get(at, "environment"), "production");
  EXPECT_EQ(Get(at, "user.email"), "a@b.c");  // insert never overwrites
  EXPECT_EQ(Get(at, "missing"), "<absent>");  // update never creates
  EXPECT_EQ(Get(at, "copied"), "42");
  EXPECT_EQ(FindAttribute(at, "port")->type, ValueType::kInt);
  EXPECT_EQ(FindAttribute(at, "quoted")->type, ValueType::kString);
}

TEST(AttractionTest, DeleteHashExtractConvert) {
  AttributeActions actions = Parse(R"(actions:
  - {pattern: '^secret\..*', action: delete}
  - {key: user.email, action: hash}
  - {key: http.url, pattern: '^/api/v1/document/(?P<documentId>.*)/update$', action: extract}
  - {key: count, action: convert, converted_type: int}
)");
  Arena a;
  Attributes at = Sample(a);
  actions.Apply(a, at);
  EXPECT_EQ(Get(at, "secret.token"), "<absent>");
  EXPECT_EQ(Get(at, "user.email"), kSha256OfEmail);
  EXPECT_EQ(Get(at, "documentId"), "12345678");
  EXPECT_EQ(FindAttribute(at, "count")->type, ValueType::kInt);
  EXPECT_EQ(FindAttribute(at, "count")->int_value, 42);
}

TEST(AttractionTest, ErrorsNameTheAction) {
  ConfigReader root(YAML::Load("actions:\n  - {key: a, action: upsrt, value: 1}\n"),
                    "processors.attributes", "c.yaml");
  auto list = root.ChildList("actions");
  auto actions = AttributeActions::Parse(*list);
  ASSERT_FALSE(actions.ok());
  EXPECT_NE(actions.status().message().find(
                "processors.attributes.actions[0].action: unknown action \"upsrt\""),
            std::string::npos)
      << actions.status().message();
}

TEST(AttractionTest, UpsertWithoutValueIsAnError) {
  ConfigReader root(YAML::Load("actions:\n  - {key: a, action: upsert}\n"), "p", "c.yaml");
  auto list = root.ChildList("actions");
  EXPECT_FALSE(AttributeActions::Parse(*list).ok());
}

}  // namespace
}  // namespace polytrace

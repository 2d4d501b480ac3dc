#include "config/env_substitution.h"

#include <gtest/gtest.h>

#include <map>

namespace polytrace {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvSubstitutionTest, ExpandsAllForms) {
  auto out = ExpandEnvReferences("a: ${env:A}\nb: ${B}\nc: ${env:C:-4318}\nd: $$x\n",
                                 Env({{"A", "1"}, {"B", "two"}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "a: 1\nb: two\nc: 4318\nd: $x\n");
}

TEST(EnvSubstitutionTest, DefaultAppliesToEmptyValue) {
  auto out = ExpandEnvReferences("${env:E:-dflt}", Env({{"E", ""}}));
  EXPECT_EQ(*out, "dflt");
}

TEST(EnvSubstitutionTest, UnterminatedReferenceNamesTheLine) {
  auto out = ExpandEnvReferences("a: 1\nb: ${env:X\n", Env({}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "line 2: unterminated \"${\" reference");
}

TEST(EnvSubstitutionTest, OtherProvidersAreRejected) {
  auto out = ExpandEnvReferences("a: ${file:/etc/passwd}", Env({}));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("only the env provider"), std::string::npos);
}

}  // namespace
}  // namespace polytrace

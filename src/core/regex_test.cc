#include "core/regex.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

TEST(RegexTest, SearchIsUnanchoredAndFullMatchIsAnchored) {
  Result<Regex> re = Regex::Compile("/health");
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  EXPECT_TRUE(re->Search("GET /health/live"));
  EXPECT_FALSE(re->FullMatch("GET /health/live"));
  EXPECT_TRUE(re->FullMatch("/health"));
  EXPECT_FALSE(re->Search("/ready"));
}

TEST(RegexTest, GoSyntaxCompilesAndPerlOnlySyntaxIsAClearError) {
  EXPECT_TRUE(Regex::Compile(R"(^(?P<method>[A-Z]+) \d+$)").ok());
  EXPECT_TRUE(Regex::Compile(R"((?i)select\s)").ok());
  Result<Regex> backreference = Regex::Compile(R"((a)\1)");
  ASSERT_FALSE(backreference.ok());
  EXPECT_EQ(backreference.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(backreference.status().message().find(R"("(a)\1")"), std::string::npos)
      << backreference.status().message();
  EXPECT_FALSE(Regex::Compile("(?=lookahead)").ok());
  EXPECT_FALSE(Regex::Compile("(unclosed").ok());
}

TEST(RegexTest, NamedCapturesAreEmptyForGroupsThatTookNoPart) {
  Result<Regex> re = Regex::Compile(R"(^/api/(?P<version>v\d)/(?P<item>\w+)(?:/(?P<id>\d+))?)");
  ASSERT_TRUE(re.ok());
  auto captures = re->NamedCaptures("/api/v2/orders?x=1");
  ASSERT_EQ(captures.size(), 3u);
  EXPECT_EQ(captures[0].first, "version");
  EXPECT_EQ(captures[0].second, "v2");
  EXPECT_EQ(captures[1].first, "item");
  EXPECT_EQ(captures[1].second, "orders");
  EXPECT_EQ(captures[2].first, "id");
  EXPECT_EQ(captures[2].second, "");
  EXPECT_TRUE(re->NamedCaptures("/other").empty());
}

// The reproduction from issue #12: the old backtracking engine recursed once per character
// and overflowed the stack on a 30,000-character value. RE2 must answer
// catastrophic patterns on long values, without recursion, in linear time.
TEST(RegexTest, CatastrophicPatternsOnLongValuesAnswer) {
  std::string url = "https://example.com/" + std::string(30000, 'a');
  std::string as(1 << 20, 'a');
  for (const char* pattern : {".*/health.*", "https://.*", "(a+)+b", "(a|aa)*c", "(a*)*$"}) {
    Result<Regex> re = Regex::Compile(pattern);
    ASSERT_TRUE(re.ok()) << pattern;
    re->Search(url);
    re->FullMatch(url);
    re->Search(as);
  }
  EXPECT_TRUE(Regex::Compile("https://.*")->FullMatch(url));
  EXPECT_FALSE(Regex::Compile("(a+)+b")->Search(as));
  EXPECT_FALSE(Regex::Compile("(a|aa)*c")->Search(as));
}

TEST(RegexTest, HugePatternIsRefusedNotCompiled) {
  std::string pattern;
  for (int i = 0; i < 1000; ++i) pattern += "[a-z]{1000}";
  Result<Regex> re = Regex::Compile(pattern);
  ASSERT_FALSE(re.ok());
  EXPECT_EQ(re.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace polytrace

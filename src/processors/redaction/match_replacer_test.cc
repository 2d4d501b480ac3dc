#include "processors/redaction/match_replacer.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

std::string MaskAll(std::string_view pattern, std::string_view text) {
  Result<MatchReplacer> re = MatchReplacer::Compile(pattern);
  EXPECT_TRUE(re.ok()) << re.status().message();
  if (!re.ok()) return "<invalid>";
  return re->ReplaceAll(text, [](std::string_view) { return std::string("****"); });
}

// Every expectation below is what Go's Regexp.ReplaceAllStringFunc returns
// (go1.26), the function the Collector's redaction processor masks with.
TEST(MatchReplacerTest, ReplacesLikeGoReplaceAllStringFunc) {
  EXPECT_EQ(MaskAll("4[0-9]{12}(?:[0-9]{3})?", "card 4111111111111111 and 4012888888881 end"),
            "card **** and **** end");
  EXPECT_EQ(MaskAll("(5[1-5][0-9]{14})", "mc 5555555555554444"), "mc ****");
  EXPECT_EQ(MaskAll("a|ab", "abab"), "****b****b");  // leftmost-first, not longest
}

TEST(MatchReplacerTest, EmptyMatchesFollowGo) {
  EXPECT_EQ(MaskAll("x*", "ab"), "****a****b****");
  EXPECT_EQ(MaskAll("a*", "baaac"), "****b****c****");  // no second mask right after "aaa"
  EXPECT_EQ(MaskAll("x*", "é"), "****é****");           // steps over whole characters
  EXPECT_EQ(MaskAll("\\d+", "é1é22é"), "é****é****é");
  EXPECT_EQ(MaskAll("$", "ab"), "ab****");
}

TEST(MatchReplacerTest, WholeValuePatternMasksEachLine) {
  EXPECT_EQ(MaskAll(".*", ""), "****");
  EXPECT_EQ(MaskAll(".*", "abc"), "****");
  EXPECT_EQ(MaskAll(".*", "a\nb"), "****\n****");
}

TEST(MatchReplacerTest, LaterMatchesSeeTheTextBeforeThem) {
  EXPECT_EQ(MaskAll("\\bfoo", "foo foofoo xfoo foo"), "**** ****foo xfoo ****");
  EXPECT_EQ(MaskAll("(?m)^a", "aa\naa"), "****a\n****a");
  EXPECT_EQ(MaskAll("^a", "aaa"), "****aa");
  EXPECT_EQ(MaskAll("\\B", "ab cd"), "a****b c****d");
}

TEST(MatchReplacerTest, PassesEachMatchToTheReplacement) {
  Result<MatchReplacer> re = MatchReplacer::Compile("\\d+");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->ReplaceAll("a1b22c", [](std::string_view m) { return "<" + std::string(m) + ">"; }),
            "a<1>b<22>c");
  EXPECT_TRUE(re->Search("x9"));
  EXPECT_FALSE(re->Search("xy"));
  EXPECT_EQ(re->pattern(), "\\d+");
}

TEST(MatchReplacerTest, RefusesPatternsInvalidOnTheirOwn) {
  Result<MatchReplacer> unbalanced = MatchReplacer::Compile("a)(b");
  ASSERT_FALSE(unbalanced.ok());
  EXPECT_NE(unbalanced.status().message().find("invalid regular expression \"a)(b\""),
            std::string::npos);
  EXPECT_FALSE(MatchReplacer::Compile("(a)\\1").ok());  // RE2 has no backreferences
}

}  // namespace
}  // namespace polytrace

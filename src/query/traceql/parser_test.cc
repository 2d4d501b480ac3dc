#include "query/traceql/parser.h"

#include <gtest/gtest.h>

namespace polytrace::traceql {
namespace {

std::string ErrorOf(std::string_view q) {
  auto r = Parse(q);
  return r.ok() ? "ok" : r.status().message();
}

TEST(TraceqlParser, AcceptsTheSupportedSubset) {
  for (const char* q : {
           "{}",
           "{ }",
           "{ span.http.method = \"GET\" }",
           "{ resource.service.name = \"api\" && duration > 100ms }",
           "{ .http.status_code >= 500 || status = error }",
           "{ (name = \"a\" || name = \"b\") && kind = server }",
           "{ name =~ \"GET /api/.*\" && span.x !~ \"^z\" }",
           "{ rootServiceName = \"gw\" } && { traceDuration > 1.5s }",
           "{ span:name = \"a\" && trace:rootService = \"gw\" && trace:duration < 2m }",
           "{ kind = server } > { kind = client }",
           "{ kind = server } >> { status = error } || { span.y = true }",
           "({ name = \"a\" } || { name = \"b\" }) && { span.z = nil }",
           "{ span.\"key with spaces\" = 1.5 && span.n = -3 && span.f != false }",
           "{ duration >= 500us && duration < 10s && span:duration > 20ns }",
       }) {
    EXPECT_EQ(ErrorOf(q), "ok") << q;
  }
}

TEST(TraceqlParser, ErrorsNameTheColumn) {
  EXPECT_EQ(ErrorOf(""), "traceql: column 1: empty query: expected '{'");
  EXPECT_EQ(ErrorOf("{ name = \"a\""),
            "traceql: column 13: expected '}', '&&' or '||' but found end of query");
  EXPECT_EQ(ErrorOf("{ name = \"a }"), "traceql: column 10: unterminated string");
  EXPECT_EQ(
      ErrorOf("{ foo = 1 }"),
      "traceql: column 3: unknown field 'foo': attributes need a scope (span., resource. or .)");
  EXPECT_EQ(ErrorOf("{ duration > 10parsecs }"),
            "traceql: column 14: '10parsecs' is not a duration (use ns, us, ms, s, m, h)");
  EXPECT_EQ(ErrorOf("{ status = 200 }"),
            "traceql: column 12: status compares with ok, error or unset");
  EXPECT_EQ(ErrorOf("{ name =~ \"(\" }").substr(0, 50),
            "traceql: column 11: invalid regular expression \"(\"");
  EXPECT_EQ(ErrorOf("{ name = a }"),
            "traceql: column 10: 'a' is not a value: quote strings (\"a\")");
  EXPECT_EQ(ErrorOf("{ name } "),
            "traceql: column 8: expected a comparison (= != > >= < <= =~ !~) but found '}'");
  EXPECT_EQ(ErrorOf("{ name = \"a\" } { }"),
            "traceql: column 16: expected '&&', '||', '>', '>>' or 'with' but found '{'");
  EXPECT_EQ(ErrorOf("{ name = \"a\" } | count() > 1"),
            "traceql: column 16: expected '||' (pipelines are not supported)");
  EXPECT_EQ(ErrorOf("{ kind > server }"),
            "traceql: column 10: status and kind support only = and !=");
}

}  // namespace
// Issue #12: `q=` with 10,000 '(' then '{}' then 10,000 ')' overflowed the
// stack. Nesting and chains are bounded at 512 levels, with an error.
TEST(TraceqlParser, DepthIsBoundedWithAnError) {
  auto nested = [](int n, std::string_view inner) {
    return std::string(n, '(') + std::string(inner) + std::string(n, ')');
  };
  EXPECT_EQ(ErrorOf(nested(511, "{}")), "ok");
  EXPECT_EQ(ErrorOf(nested(10000, "{}")),
            "traceql: column 513: query nested deeper than 512 levels");
  EXPECT_EQ(ErrorOf("{ " + nested(511, "name = \"a\"") + " }"), "ok");
  EXPECT_EQ(ErrorOf("{ " + nested(10000, "name = \"a\"") + " }"),
            "traceql: column 515: query nested deeper than 512 levels");

  auto chain = [](int n, std::string_view item, std::string_view op) {
    std::string q(item);
    for (int i = 1; i < n; ++i) q += std::string(op) + std::string(item);
    return q;
  };
  EXPECT_EQ(ErrorOf(chain(512, "{}", " && ")), "ok");
  EXPECT_NE(ErrorOf(chain(20000, "{}", " && ")).find("query nested deeper than 512 levels"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("{ " + chain(512, "name = \"a\"", " || ") + " }"), "ok");
  EXPECT_NE(ErrorOf("{ " + chain(20000, "name = \"a\"", " || ") + " }")
                .find("query nested deeper than 512 levels"),
            std::string::npos);
}

// Found by fuzzing: converting 1e26 ns to an integer was undefined behaviour.
TEST(TraceqlParser, DurationsBeyondTheRangeOfNanosecondsAreAnError) {
  EXPECT_EQ(ErrorOf("{ duration > 100000000000000000000000000ns }"),
            "traceql: column 14: '100000000000000000000000000ns' is not a duration (use ns, us, "
            "ms, s, m, h)");
  EXPECT_EQ(ErrorOf("{ duration > 2500000h }"), "ok");  // 285 years
}

TEST(TraceqlParser, RegexesAreGoSyntax) {
  EXPECT_EQ(ErrorOf("{ name =~ \"(?P<verb>GET|POST) /api/\\\\d+\" }"), "ok");
  EXPECT_EQ(ErrorOf("{ name =~ \"(a)\\\\1\" }"),
            "traceql: column 11: invalid regular expression \"(a)\\1\": invalid escape sequence: "
            "\\1");
}

// Tempo's hints: `with (name = value, ...)` after the query, every value
// kept with its type; the query they follow is parsed as without them.
TEST(TraceqlParser, HintsFollowTheQuery) {
  Result<Query> q = ParseQuery(
      "{ span.a = 1 } >> { status = error } with (most_recent=true, sample=0.5, job=\"x\")");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->spansets->type, SpansetExpr::Type::kDescendant);
  ASSERT_EQ(q->hints.size(), 3u);
  EXPECT_EQ(q->hints[0].name, "most_recent");
  EXPECT_EQ(q->hints[1].value.type, LiteralType::kDouble);
  EXPECT_EQ(q->hints[2].value.text, "x");
  EXPECT_EQ(q->BoolHint("most_recent"), std::optional<bool>(true));
  EXPECT_EQ(q->BoolHint("sample"), std::nullopt) << "a hint of another type is not read";
  EXPECT_EQ(q->BoolHint("exemplars"), std::nullopt);
  EXPECT_EQ(ParseQuery("{} with (most_recent = false)")->BoolHint("most_recent"),
            std::optional<bool>(false));
  EXPECT_TRUE(ParseQuery("{}")->hints.empty());
  EXPECT_EQ(ErrorOf("{} with (most_recent=true)"), "ok") << "Parse drops the hints";

  EXPECT_EQ(ErrorOf("{} with"),
            "traceql: column 8: expected '(' after 'with' but found end of query");
  EXPECT_EQ(ErrorOf("{} with ()"), "traceql: column 10: expected a hint's name but found ')'");
  EXPECT_EQ(ErrorOf("{} with (most_recent)"),
            "traceql: column 21: expected '=' after the hint's name but found ')'");
  EXPECT_EQ(ErrorOf("{} with (a=1 b=2)"),
            "traceql: column 14: expected ',' or ')' after a hint but found 'b'");
  EXPECT_EQ(ErrorOf("{} with (a=1) && {}"),
            "traceql: column 15: expected '&&', '||', '>', '>>' or 'with' but found '&&'");
  EXPECT_EQ(ErrorOf("{ name = \"a\", kind = server }"),
            "traceql: column 13: expected '}', '&&' or '||' but found ','");
}

}  // namespace polytrace::traceql

#include "otlp/json_codec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "otlp/proto_codec.h"
#include "testing/kitchen_sink.h"

namespace polytrace::otlp {
namespace {

TEST(JsonCodecTest, RoundTripKeepsEveryField) {
  Traces in = testing::MakeKitchenSinkTraces();
  std::string json = EncodeTracesJson(in);
  Traces out;
  Status st = DecodeTracesJson(json, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(EncodeTracesJson(out), json);
  EXPECT_EQ(EncodeTracesProto(out), EncodeTracesProto(in));
}

TEST(JsonCodecTest, AcceptsSnakeCaseNumbersAsStringsAndEnumNames) {
  const char* json = R"({"resource_spans":[{"scope_spans":[{"spans":[{
    "trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"eee19b7ec3c1b174",
    "parent_span_id":"","name":"x","kind":"SPAN_KIND_CLIENT",
    "start_time_unix_nano":1700000000000000000,"end_time_unix_nano":"1700000000000000001",
    "attributes":[{"key":"n","value":{"int_value":42}},{"key":"s","value":{"intValue":"-7"}}],
    "status":{"code":"STATUS_CODE_ERROR","message":"m"},"unknownField":{"deep":[1,2]}}]}]}]})";
  Traces out;
  Status st = DecodeTracesJson(json, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const Span& s = out.resource_spans()[0].scope_spans[0].spans[0];
  EXPECT_EQ(s.trace_id.ToHex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_TRUE(s.parent_span_id.IsZero());
  EXPECT_EQ(s.kind, SpanKind::kClient);
  EXPECT_EQ(s.start_time_unix_nano, 1700000000000000000ULL);
  EXPECT_EQ(s.end_time_unix_nano, 1700000000000000001ULL);
  EXPECT_EQ(s.attributes[0].value.int_value, 42);
  EXPECT_EQ(s.attributes[1].value.int_value, -7);
  EXPECT_EQ(s.status.code, StatusCodeValue::kError);
}

// Found by fuzzing: a non-array `events` (or `links`) was iterated anyway.
TEST(JsonCodecTest, EventsOrLinksThatAreNotArraysAreAnError) {
  for (const char* field : {"events", "links"}) {
    std::string json = std::string(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":")") +
                       std::string(32, '1') + R"(","spanId":")" + std::string(16, '2') + R"(",")" +
                       field + R"(":"0202"}]}]}]})";
    Traces t;
    Status st = DecodeTracesJson(json, &t);
    ASSERT_FALSE(st.ok()) << field;
    EXPECT_NE(st.message().find(std::string("spans[0].") + field + ": expected an array"),
              std::string::npos)
        << st.message();
  }
}

TEST(JsonCodecTest, BadIdNamesThePath) {
  const char* json =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","spanId":"eee19b7ec3c1b174"}]}]}]})";
  Traces out;
  Status st = DecodeTracesJson(json, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].traceId: \"abc\" is not 32 hex digits");
}

TEST(JsonCodecTest, InvalidJsonIsExplained) {
  Traces out;
  Status st = DecodeTracesJson("{\"resourceSpans\": [", &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("invalid JSON: ", 0), 0u);
}

TEST(JsonCodecTest, InvalidUtf8IsRejected) {
  Traces out;
  EXPECT_FALSE(DecodeTracesJson("{\"resourceSpans\":[{\"schemaUrl\":\"\xc3\x28\"}]}", &out).ok());
}

TEST(JsonCodecTest, WrongTypeNamesField) {
  Traces out;
  Status st = DecodeTracesJson(R"({"resourceSpans":[{"scopeSpans":{"spans":[]}}]})", &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "resourceSpans[0].scopeSpans: expected an array");
}

TEST(JsonCodecTest, DeepNestingIsRejected) {
  std::string value = R"({"stringValue":"leaf"})";
  for (int i = 0; i < 100; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  std::string json =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":)" + value + "}]}}]}";
  Traces out;
  Status st = DecodeTracesJson(json, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nested deeper than 64"), std::string::npos) << st.message();
}

TEST(JsonCodecTest, SpecialDoublesRoundTrip) {
  Traces out;
  ASSERT_TRUE(
      DecodeTracesJson(
          R"({"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"doubleValue":"NaN"}},
      {"key":"b","value":{"doubleValue":"-Infinity"}},{"key":"c","value":{"doubleValue":1.5}}]}}]})",
          &out)
          .ok());
  const Attributes& at = out.resource_spans()[0].resource.attributes;
  EXPECT_TRUE(std::isnan(at[0].value.double_value));
  EXPECT_TRUE(std::isinf(at[1].value.double_value));
  EXPECT_EQ(at[2].value.double_value, 1.5);
  EXPECT_NE(EncodeTracesJson(out).find("\"NaN\""), std::string::npos);
}

TEST(JsonCodecTest, ResponsesFollowTheSpec) {
  EXPECT_EQ(EncodeExportResponseJson(0, ""), "{}");
  EXPECT_EQ(EncodeExportResponseJson(2, "bad"),
            R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad"}})");
  EXPECT_EQ(EncodeRpcStatusJson(3, "x \"y\""), R"({"code":3,"message":"x \"y\""})");
}

}  // namespace
}  // namespace polytrace::otlp

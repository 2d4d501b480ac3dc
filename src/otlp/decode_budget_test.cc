// Decoding costs at most DecodeBudget(input) of memory, whatever the shape of
// the request (issue #12: 9 MB of empty JSON spans decoded to 1.4 GiB).
#include "otlp/decode_budget.h"

#include <gtest/gtest.h>

#include <functional>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "testing/kitchen_sink.h"

namespace polytrace::otlp {
namespace {

// `n` copies of `item` joined by `separator`.
std::string Repeat(std::string_view item, size_t n, std::string_view separator = "") {
  std::string out;
  out.reserve(n * (item.size() + separator.size()));
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += separator;
    out += item;
  }
  return out;
}

// A length-delimited protobuf field.
std::string Field(int number, std::string_view payload) {
  std::string out(1, static_cast<char>(number << 3 | 2));
  size_t n = payload.size();
  do {
    uint8_t byte = n & 0x7f;
    n >>= 7;
    out += static_cast<char>(byte | (n ? 0x80 : 0));
  } while (n);
  return out + std::string(payload);
}

std::string ProtoSpans(std::string_view spans) {  // resource_spans{scope_spans{spans}}
  return Field(1, Field(2, spans));
}

struct Shape {
  const char* name;
  bool json;
  std::function<std::string()> body;
};

// The worst shapes: the smallest encodings of the largest decoded objects.
std::vector<Shape> HostileShapes() {
  constexpr size_t kN = 3'000'000;
  return {
      {"JSON empty spans", true,
       [] {
         return R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + Repeat("{}", kN, ",") + "]}]}]}";
       }},
      {"JSON empty attributes", true,
       [] {
         return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[)" +
                Repeat("{}", kN, ",") + "]}]}]}]}";
       }},
      {"JSON empty array values", true,
       [] {
         return R"({"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"arrayValue":{"values":[)" +
                Repeat("{}", kN, ",") + "]}}}]}}]}";
       }},
      {"JSON empty resources", true,
       [] { return R"({"resourceSpans":[)" + Repeat("{}", kN, ",") + "]}"; }},
      {"JSON empty events", true,
       [] {
         return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"events":[)" +
                Repeat("{}", kN, ",") + "]}]}]}]}";
       }},
      {"protobuf empty spans", false, [] { return ProtoSpans(Repeat(Field(2, ""), kN)); }},
      {"protobuf empty attributes", false,
       [] { return ProtoSpans(Field(2, Repeat(Field(9, ""), kN))); }},
      {"protobuf empty array values", false,
       [] {
         std::string array = Field(5, Repeat(Field(1, ""), kN));  // AnyValue.array_value
         std::string kv = Field(1, "a") + Field(2, array);
         return Field(1, Field(1, Field(1, kv)));  // resource.attributes
       }},
      {"protobuf empty resources", false, [] { return Repeat(Field(1, ""), kN); }},
      {"protobuf empty scopes", false, [] { return Field(1, Repeat(Field(2, ""), kN)); }},
  };
}

TEST(DecodeBudgetTest, HostileShapesAreRefusedWithinTheBudget) {
  for (const Shape& shape : HostileShapes()) {
    std::string body = shape.body();
    Traces out;
    Status st = shape.json ? DecodeTracesJson(body, &out) : DecodeTracesProto(body, &out);
    ASSERT_FALSE(st.ok()) << shape.name;
    EXPECT_NE(st.message().find("would take more than"), std::string::npos)
        << shape.name << ": " << st.message();
    // A list never grows past the budget; the arena's last block may.
    EXPECT_LE(out.arena().bytes_allocated(), DecodeBudget(body.size()) + (256 << 10))
        << shape.name << ": " << body.size() << " bytes";
  }
}

TEST(DecodeBudgetTest, RealisticRequestsDecodeWellWithinIt) {
  Traces in = testing::MakeKitchenSinkTraces();
  for (bool json : {false, true}) {
    std::string body = json ? EncodeTracesJson(in) : EncodeTracesProto(in);
    Traces out;
    Status st = json ? DecodeTracesJson(body, &out) : DecodeTracesProto(body, &out);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(out.SpanCount(), in.SpanCount());
  }
  // Many small requests' worth in one: 20,000 copies of the kitchen sink's spans.
  std::string one = EncodeTracesProto(in);
  std::string many = Repeat(one, 20000);  // resource_spans fields concatenate
  Traces out;
  ASSERT_TRUE(DecodeTracesProto(many, &out).ok());
  EXPECT_EQ(out.SpanCount(), 20000 * in.SpanCount());
  EXPECT_LE(out.arena().bytes_allocated(), DecodeBudget(many.size()));
}

}  // namespace
}  // namespace polytrace::otlp

#include "otlp/proto_codec.h"

#include <gtest/gtest.h>

#include "otlp/json_codec.h"
#include "otlp/wire.h"
#include "testing/kitchen_sink.h"

namespace polytrace::otlp {
namespace {

// Every field of the model is written by the JSON encoder, so equal JSON
// means equal batches.
std::string Fingerprint(const Traces& t) { return EncodeTracesJson(t); }

Status Decode(std::string_view bytes, Traces* out) { return DecodeTracesProto(bytes, out); }

TEST(ProtoCodecTest, RoundTripKeepsEveryField) {
  Traces in = testing::MakeKitchenSinkTraces();
  std::string bytes = EncodeTracesProto(in);
  Traces out;
  ASSERT_TRUE(Decode(bytes, &out).ok());
  EXPECT_EQ(Fingerprint(out), Fingerprint(in));
  EXPECT_EQ(EncodeTracesProto(out), bytes);
}

TEST(ProtoCodecTest, StringsAreViewsIntoTheInput) {
  std::string bytes = EncodeTracesProto(testing::MakeKitchenSinkTraces());
  Traces out;
  ASSERT_TRUE(Decode(bytes, &out).ok());
  std::string_view name = out.resource_spans()[0].scope_spans[0].spans[0].name;
  EXPECT_GE(name.data(), bytes.data());
  EXPECT_LT(name.data(), bytes.data() + bytes.size());
}

TEST(ProtoCodecTest, EmptyRequestIsValid) {
  Traces out;
  EXPECT_TRUE(Decode("", &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(ProtoCodecTest, TruncatedMessageNamesPathAndOffset) {
  std::string bytes = EncodeTracesProto(testing::MakeKitchenSinkTraces());
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, size_t{3}}) {
    Traces out;
    Status st = Decode(std::string_view(bytes).substr(0, cut), &out);
    ASSERT_FALSE(st.ok()) << cut;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("(byte "), std::string::npos) << st.message();
  }
}

std::string SpanWithTraceId(std::string_view id) {
  std::string span, scope, rs, req;
  wire::PutBytes(&span, 1, id);
  wire::PutBytes(&span, 2, std::string(8, '\x01'));
  wire::PutBytes(&scope, 2, span);
  wire::PutBytes(&rs, 2, scope);
  wire::PutBytes(&req, 1, rs);
  return req;
}

TEST(ProtoCodecTest, RejectsTraceIdOfWrongLength) {
  Traces out;
  Status st = Decode(SpanWithTraceId(std::string(15, '\x07')), &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().substr(0, st.message().find(" (byte")),
            "resource_spans[0].scope_spans[0].spans[0].trace_id: length 15, expected 16");
}

TEST(ProtoCodecTest, RejectsWrongWireTypeForKnownField) {
  std::string req;
  wire::PutTag(&req, 1, wire::kVarint);  // resource_spans must be length-delimited
  wire::PutVarint(&req, 5);
  Traces out;
  Status st = Decode(req, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("resource_spans: wrong wire type 0"), std::string::npos)
      << st.message();
}

TEST(ProtoCodecTest, RejectsInvalidUtf8InStrings) {
  Traces in;
  Arena& a = in.arena();
  Span& s = in.resource_spans().Append(a).scope_spans.Append(a).spans.Append(a);
  s.trace_id.bytes[0] = 1;
  s.span_id.bytes[0] = 1;
  s.name = "bad \xc3\x28 name";
  Traces out;
  Status st = Decode(EncodeTracesProto(in), &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("spans[0].name: string is not valid UTF-8"), std::string::npos)
      << st.message();
}

TEST(ProtoCodecTest, SkipsUnknownFieldsOfEveryWireType) {
  std::string req = EncodeTracesProto(testing::MakeKitchenSinkTraces());
  std::string extra;
  wire::PutTag(&extra, 99, wire::kVarint);
  wire::PutVarint(&extra, 300);
  wire::PutTag(&extra, 98, wire::kFixed64);
  wire::PutFixed64(&extra, 1);
  wire::PutTag(&extra, 97, wire::kFixed32);
  wire::PutFixed32(&extra, 1);
  wire::PutBytes(&extra, 96, "unknown");
  std::string padded = extra + req + extra;  // must outlive b: its strings are views
  Traces a, b;
  ASSERT_TRUE(Decode(req, &a).ok());
  ASSERT_TRUE(Decode(padded, &b).ok());
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
}

TEST(ProtoCodecTest, RejectsGroups) {
  std::string req;
  wire::PutTag(&req, 5, wire::kStartGroup);
  Traces out;
  Status st = Decode(req, &out);
  ASSERT_FALSE(st.ok());
}

TEST(ProtoCodecTest, RejectsValuesNestedTooDeep) {
  // AnyValue{array_value{values: AnyValue{array_value{...}}}} 100 levels deep.
  std::string value;
  wire::PutBytes(&value, 1, "leaf");
  for (int i = 0; i < 100; ++i) {
    std::string list, outer;
    wire::PutBytes(&list, 1, value);
    wire::PutBytes(&outer, 5, list);
    value = outer;
  }
  std::string kv, span, scope, rs, req;
  wire::PutBytes(&kv, 1, "deep");
  wire::PutBytes(&kv, 2, value);
  wire::PutBytes(&span, 1, std::string(16, '\x01'));
  wire::PutBytes(&span, 2, std::string(8, '\x01'));
  wire::PutBytes(&span, 9, kv);
  wire::PutBytes(&scope, 2, span);
  wire::PutBytes(&rs, 2, scope);
  wire::PutBytes(&req, 1, rs);
  Traces out;
  Status st = Decode(req, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nested deeper than 64"), std::string::npos) << st.message();
}

TEST(ProtoCodecTest, RandomMutationsNeverCrash) {
  std::string good = EncodeTracesProto(testing::MakeKitchenSinkTraces());
  uint64_t state = 42;
  auto next = [&] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    for (int m = 0; m < 4; ++m) bad[next() % bad.size()] = static_cast<char>(next() >> 56);
    if (next() % 4 == 0) bad.resize(next() % bad.size());
    Traces out;
    (void)Decode(bad, &out);  // must return, not crash (ASan checks memory)
  }
}

// A scan must accept exactly what decoding accepts, with the same error:
// a pipeline that only scans forwards what it accepted, and decodes it
// later (Traces::SetUndecoded) on the promise that decoding cannot fail.
TEST(ProtoCodecTest, ScanAcceptsExactlyWhatDecodingAccepts) {
  Traces sink = testing::MakeKitchenSinkTraces();
  std::string good = EncodeTracesProto(sink);
  TracesScan scan;
  ASSERT_TRUE(ScanTracesProto(good, &scan).ok());
  EXPECT_EQ(scan.spans, sink.SpanCount());
  EXPECT_FALSE(scan.has_invalid_ids);
  uint64_t state = 7;
  auto next = [&] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    for (int m = 0; m < 1 + i % 3; ++m) bad[next() % bad.size()] = static_cast<char>(next() >> 56);
    Traces out;
    Status decoded = Decode(bad, &out);
    Status scanned = ScanTracesProto(bad, &scan);
    ASSERT_EQ(scanned.ok(), decoded.ok()) << i << ": " << decoded.message();
    if (!decoded.ok()) {
      EXPECT_EQ(scanned.message(), decoded.message());
      ++rejected;
    } else {
      EXPECT_EQ(scan.spans, out.SpanCount());
    }
  }
  EXPECT_GT(rejected, 100);  // the mutations did reach the checks
}

// Every byte of `good` changed to each value that matters somewhere (tags,
// non-ASCII, lengths one off): the scan accepts exactly when decoding does,
// with the same span count and the same verdict on zero IDs.
void ExpectScanAgreesWithDecodingAfterEveryByteChange(const std::string& good) {
  int accepted = 0, rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int change : {0x00, 0x01, 0x0A, 0x12, 0x4A, 0x7F, 0x80, 0xC3, 0xFF, -1, +1}) {
      std::string bad = good;
      bad[i] = change == -1 || change == +1 ? static_cast<char>(bad[i] + change)
                                            : static_cast<char>(change);
      Traces out;
      TracesScan decoded_info, scan;
      Status decoded = DecodeTracesProto(bad, &out, &decoded_info);
      Status scanned = ScanTracesProto(bad, &scan);
      ASSERT_EQ(scanned.ok(), decoded.ok())
          << "byte " << i << " -> " << change << ": " << decoded.message();
      if (decoded.ok()) {
        EXPECT_EQ(scan.spans, out.SpanCount()) << "byte " << i << " -> " << change;
        EXPECT_EQ(scan.has_invalid_ids, decoded_info.has_invalid_ids)
            << "byte " << i << " -> " << change;
        ++accepted;
      } else {
        ++rejected;
      }
    }
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 100);
}

// Scans check runs of ASCII string attributes by their shape alone: every
// byte of such a run, changed to each value that matters there (non-ASCII,
// lengths one off, other tags), is accepted by the scan exactly when
// decoding accepts it.
TEST(ProtoCodecTest, ScanOfStringAttributeRunsAcceptsExactlyWhatDecodingAccepts) {
  Traces in;
  Arena& a = in.arena();
  ResourceSpans& rs = in.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {"service.name", AnyValue::String("svc")});
  rs.resource.attributes.Append(a, {"host", AnyValue::String("")});
  Span& span = rs.scope_spans.Append(a).spans.Append(a);
  span.trace_id.bytes[0] = 1;
  span.span_id.bytes[0] = 1;
  span.name = "op";
  span.attributes.Append(a, {"a", AnyValue::String("xy")});
  span.attributes.Append(a, {"", AnyValue::String("")});
  span.attributes.Append(a, {"empty", AnyValue()});
  span.attributes.Append(a, {"n", AnyValue::Int(5)});
  span.attributes.Append(a, {"b", AnyValue::String("\xc3\xbc")});  // UTF-8, not ASCII
  span.attributes.Append(a, {"c", AnyValue::String("z")});
  std::string good = EncodeTracesProto(in);
  TracesScan scan;
  ASSERT_TRUE(ScanTracesProto(good, &scan).ok());
  ASSERT_EQ(scan.spans, 1u);
  ExpectScanAgreesWithDecodingAfterEveryByteChange(good);
}

// A span's head and tail as SDKs write them (IDs, parent, name, kind,
// times; empty status, flags) take the scan's straight run; every byte of
// such a request changed to 11 values must still be accepted by the scan
// exactly when decoding accepts it, with the same span count and the same
// verdict on zero IDs.
TEST(ProtoCodecTest, ScanOfSpanHeadsAcceptsExactlyWhatDecodingAccepts) {
  auto field = [](uint8_t tag, std::string_view body) {
    std::string out(1, char(tag));
    for (size_t n = body.size();; n >>= 7) {  // the length, a varint
      out += char(n < 0x80 ? n : (n & 0x7F) | 0x80);
      if (n < 0x80) break;
    }
    return out + std::string(body);
  };
  auto span = [&](bool with_parent, std::string_view name) {
    std::string id16(16, '\x11'), id8(8, '\x22'), time(8, '\x33');
    std::string out = field(0x0A, id16) + field(0x12, id8);
    if (with_parent) out += field(0x22, id8);
    out += field(0x2A, name) + "\x30\x02" + "\x39" + time + "\x41" + time;
    out += field(0x4A, field(0x0A, "a") + field(0x12, field(0x0A, "xy")));
    return out + std::string("\x7A\x00\x85\x01\x01\x00\x00\x00", 8);
  };
  std::string scope_spans = field(0x12, span(true, "op")) + field(0x12, span(false, "r\xc3\xbc"));
  std::string good = field(0x0A, field(0x12, scope_spans));
  TracesScan scan;
  ASSERT_TRUE(ScanTracesProto(good, &scan).ok());
  ASSERT_EQ(scan.spans, 2u);
  ExpectScanAgreesWithDecodingAfterEveryByteChange(good);
}

// The attribute fast path (one-byte lengths, ASCII, scalars) and the
// general path must decode alike at every boundary between them.
TEST(ProtoCodecTest, AttributesAtTheFastPathsEdgesDecodeExactly) {
  Traces in;
  Arena& a = in.arena();
  ResourceSpans& rs = in.resource_spans().Append(a);
  Span& span = rs.scope_spans.Append(a).spans.Append(a);
  span.trace_id.bytes[0] = 1;
  span.span_id.bytes[0] = 1;
  std::string k127(127, 'k'), k128(128, 'k'), v125(125, 'v'), v126(126, 'v');
  Attributes& at = span.attributes;
  at.Append(a, {"", AnyValue::String("")});
  at.Append(a, {k127, AnyValue::String("x")});
  at.Append(a, {k128, AnyValue::String("x")});
  at.Append(a, {"s125", AnyValue::String(v125)});
  at.Append(a, {"s126", AnyValue::String(v126)});
  at.Append(a, {"utf8", AnyValue::String("h\u00e9")});
  at.Append(a, {"k\u00e9", AnyValue::Int(1)});
  for (int64_t n :
       {int64_t{0}, int64_t{127}, int64_t{128}, (int64_t{1} << 62), INT64_MAX, int64_t{-1}})
    at.Append(a, {"int", AnyValue::Int(n)});
  at.Append(a, {"bool", AnyValue::Bool(true)});
  at.Append(a, {"false", AnyValue::Bool(false)});
  at.Append(a, {"double", AnyValue::Double(-2.5)});
  at.Append(a, {"empty", AnyValue()});
  std::string bytes = EncodeTracesProto(in);
  Traces out;
  ASSERT_TRUE(Decode(bytes, &out).ok());
  EXPECT_EQ(Fingerprint(out), Fingerprint(in));
}

TEST(ProtoCodecTest, ResponsesRoundTrip) {
  int64_t rejected;
  std::string message;
  ASSERT_TRUE(
      DecodeExportResponseProto(EncodeExportResponseProto(3, "bad ids"), &rejected, &message).ok());
  EXPECT_EQ(rejected, 3);
  EXPECT_EQ(message, "bad ids");
  EXPECT_EQ(EncodeExportResponseProto(0, ""), "");
}

}  // namespace
}  // namespace polytrace::otlp

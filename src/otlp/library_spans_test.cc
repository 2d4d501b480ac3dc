// OTLP before 0.19: spans in ResourceSpans.instrumentation_library_spans
// (field 1000; JSON instrumentationLibrarySpans / instrumentationLibrary)
// are read as scope_spans, as the Collector did while they were deprecated.
#include <gtest/gtest.h>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"
#include "testing/kitchen_sink.h"

namespace polytrace::otlp {
namespace {

TEST(LibrarySpansTest, ProtobufField1000IsReadAsScopeSpans) {
  std::string current = EncodeTracesProto(testing::MakeKitchenSinkTraces());
  std::string old = testing::AsOtlpBefore019(current);
  ASSERT_NE(old, current);

  Traces expected, got;
  ASSERT_TRUE(DecodeTracesProto(current, &expected).ok());
  TracesScan info;
  ASSERT_TRUE(DecodeTracesProto(old, &got, &info).ok());
  EXPECT_TRUE(info.used_library_spans);
  EXPECT_EQ(got.SpanCount(), 6u);
  EXPECT_EQ(EncodeTracesJson(got), EncodeTracesJson(expected));

  TracesScan scan;
  ASSERT_TRUE(ScanTracesProto(old, &scan).ok());
  EXPECT_TRUE(scan.used_library_spans);
  EXPECT_EQ(scan.spans, 6u);
  ASSERT_TRUE(ScanTracesProto(current, &scan).ok());
  EXPECT_FALSE(scan.used_library_spans);
}

TEST(LibrarySpansTest, ScopeSpansWinWhenAResourceHasBoth) {
  std::string current = EncodeTracesProto(testing::MakeKitchenSinkTraces());
  std::string both = testing::AsOtlpBefore019(current, /*keep_scope_spans=*/true);
  Traces got;
  TracesScan info;
  ASSERT_TRUE(DecodeTracesProto(both, &got, &info).ok());
  EXPECT_FALSE(info.used_library_spans);
  EXPECT_EQ(got.SpanCount(), 6u);  // not 12
}

TEST(LibrarySpansTest, AnErrorInsideNamesTheOldField) {
  std::string span, library_spans, resource_spans, request;
  wire::PutBytes(&span, 1, std::string(15, 'x'));  // a trace_id one byte short
  wire::PutBytes(&library_spans, 2, span);
  wire::PutBytes(&resource_spans, 1000, library_spans);
  wire::PutBytes(&request, 1, resource_spans);
  Traces got;
  Status st = DecodeTracesProto(request, &got);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(
      st.message().find("resource_spans[0].instrumentation_library_spans[0].spans[0].trace_id"),
      std::string::npos)
      << st.message();
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(LibrarySpansTest, JsonInstrumentationLibrarySpansAreReadAsScopeSpans) {
  std::string current = EncodeTracesJson(testing::MakeKitchenSinkTraces());
  std::string old =
      ReplaceAll(ReplaceAll(current, "\"scopeSpans\"", "\"instrumentationLibrarySpans\""),
                 "\"scope\"", "\"instrumentationLibrary\"");
  ASSERT_NE(old, current);
  Traces got;
  bool used = false;
  ASSERT_TRUE(DecodeTracesJson(old, &got, &used).ok());
  EXPECT_TRUE(used);
  EXPECT_EQ(EncodeTracesJson(got), current);

  bool used_current = true;
  Traces again;
  ASSERT_TRUE(DecodeTracesJson(current, &again, &used_current).ok());
  EXPECT_FALSE(used_current);
}

}  // namespace
}  // namespace polytrace::otlp

#include "core/ids.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

TEST(IdsTest, HexRoundTrip) {
  auto id = TraceId::FromHex("5B8EFFF798038103D269B633813FC60C");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->ToHex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_FALSE(id->IsZero());
}

TEST(IdsTest, RejectsTraceIdOfWrongLength) {
  EXPECT_FALSE(TraceId::FromHex("5b8efff798038103d269b633813fc6").has_value());
  EXPECT_FALSE(SpanId::FromBytes(std::string(7, 'a')).has_value());
}

TEST(IdsTest, RejectsNonHexDigits) {
  EXPECT_FALSE(SpanId::FromHex("eee19b7ec3c1b17g").has_value());
}

TEST(IdsTest, ZeroIdIsZero) { EXPECT_TRUE(SpanId().IsZero()); }

}  // namespace
}  // namespace polytrace

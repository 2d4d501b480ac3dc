#include "core/ids.h"

#include <gtest/gtest.h>

#include <cstring>

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

namespace polytrace {
namespace {

TEST(IdOrder, IsByteWiseLexicographicLikeMemcmp) {
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint8_t>(state >> 56);
  };
  for (int i = 0; i < 2000; ++i) {
    TraceId a, b;
    for (auto& x : a.bytes) x = next();
    b = a;
    b.bytes[next() % 16] = next();  // often equal prefixes, differing late
    int expected = std::memcmp(a.bytes.data(), b.bytes.data(), 16);
    EXPECT_EQ(a < b, expected < 0);
    EXPECT_EQ(a == b, expected == 0);
    EXPECT_EQ(b<a, expected> 0);
  }
  SpanId x, y;
  x.bytes[0] = 1;
  y.bytes[7] = 0xff;
  EXPECT_TRUE(y < x);  // the first byte decides
}

}  // namespace
}  // namespace polytrace

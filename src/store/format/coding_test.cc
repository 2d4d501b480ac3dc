#include "store/format/coding.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace polytrace::store {
namespace {

// Varints of every length, ones and zeros among them, so that steps end on
// both sides of the 32-byte chunks SkipVarints counts by.
std::vector<uint64_t> MixedValues(std::mt19937_64& rng, size_t n) {
  std::vector<uint64_t> values(n);
  for (uint64_t& v : values) {
    switch (rng() % 5) {
      case 0: v = 0; break;
      case 1: v = 1; break;
      case 2: v = rng() % 128; break;
      case 3: v = 128 + rng() % 100000; break;    // 1 as the last byte: 0x81 0x01 is 129
      default: v = rng() >> (rng() % 64); break;  // up to ten bytes
    }
  }
  return values;
}

TEST(ByteReader, SkipVarintsLandsWhereDecodingDoes) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint64_t> values = MixedValues(rng, 1 + rng() % 300);
    std::string encoded;
    for (uint64_t v : values) PutVarint(&encoded, v);
    encoded += "tail";
    const size_t skip = rng() % (values.size() + 1);
    for (uint8_t counted_value : {uint8_t(0), uint8_t(1)}) {
      ByteReader decoded(encoded), skipped(encoded);
      uint64_t expected = 0, counted = 99;
      for (size_t i = 0; i < skip; ++i) {
        uint64_t v;
        ASSERT_TRUE(decoded.GetVarint(&v));
        expected += v == counted_value;
      }
      ASSERT_TRUE(skipped.SkipVarints(skip, counted_value, &counted));
      EXPECT_EQ(skipped.remaining(), decoded.remaining()) << "round " << round;
      EXPECT_EQ(counted, expected) << "round " << round << ", skipping " << skip;
    }
  }
}

TEST(ByteReader, SkipVarintsRefusesToRunPastTheEnd) {
  std::string encoded;
  for (int i = 0; i < 100; ++i) PutVarint(&encoded, 300);  // two bytes each
  ByteReader in(encoded);
  EXPECT_FALSE(in.SkipVarints(101));
  EXPECT_EQ(in.remaining(), encoded.size());  // nothing consumed
  EXPECT_TRUE(in.SkipVarints(100));
  EXPECT_TRUE(in.done());
  EXPECT_TRUE(in.SkipVarints(0));
  ByteReader cut(std::string_view(encoded).substr(0, 199));  // the last varint unfinished
  EXPECT_FALSE(cut.SkipVarints(100));
}

}  // namespace
}  // namespace polytrace::store

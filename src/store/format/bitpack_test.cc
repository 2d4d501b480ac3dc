#include "store/format/bitpack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

namespace polytrace::store {
namespace {

std::vector<int64_t> RoundTrip(const std::vector<int64_t>& values) {
  std::string encoded;
  PutBitPacked(&encoded, values);
  ByteReader in(encoded);
  std::vector<int64_t> decoded;
  EXPECT_TRUE(GetBitPacked(in, &decoded));
  EXPECT_TRUE(in.done());
  return decoded;
}

TEST(BitPack, RoundTripsEveryWidthAndBlockBoundary) {
  std::mt19937_64 rng(7);
  for (size_t n : {0, 1, 2, 127, 128, 129, 1000}) {
    for (unsigned width : {0u, 1u, 7u, 8u, 25u, 57u, 58u, 63u}) {
      std::vector<int64_t> values(n);
      uint64_t mask = width == 0 ? 0 : (width == 64 ? ~0ull : (1ull << width) - 1);
      for (int64_t& v : values) v = int64_t(rng() & mask) - 1000;
      EXPECT_EQ(RoundTrip(values), values) << n << " values of " << width << " bits";
    }
  }
  std::vector<int64_t> extremes = {std::numeric_limits<int64_t>::min(), 0, -1,
                                   std::numeric_limits<int64_t>::max()};
  EXPECT_EQ(RoundTrip(extremes), extremes);
}

// Values by position (unpacked one at a time) are those the whole stream
// unpacks to; a view of a damaged stream is refused.
TEST(BitPack, ViewGivesEachValueByPosition) {
  std::mt19937_64 rng(11);
  for (size_t n : {0, 1, 127, 128, 129, 2048}) {
    for (unsigned width : {0u, 3u, 8u, 16u, 33u, 57u, 64u}) {
      std::vector<int64_t> values(n);
      uint64_t mask = width == 0 ? 0 : (width == 64 ? ~0ull : (1ull << width) - 1);
      for (int64_t& v : values) v = int64_t(rng() & mask) - 5;
      std::string encoded;
      PutBitPacked(&encoded, values);
      encoded += "after";
      ByteReader in(encoded);
      BitPackedView view;
      ASSERT_TRUE(view.Parse(in));
      EXPECT_EQ(in.remaining(), 5u) << "the view leaves the reader after the stream";
      ASSERT_EQ(view.size(), n);
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(view[i], values[i]) << i << " of " << n << ", " << width;
      if (n > 0) {
        std::string cut = encoded.substr(0, encoded.size() - 6);
        ByteReader short_in(cut);
        EXPECT_FALSE(view.Parse(short_in)) << n << " values of " << width << " bits, cut short";
      }
    }
  }
}

// A view counts a value over any range as the values there would: blocks
// passed by their range, blocks of one value, ranges across block edges.
TEST(BitPack, ViewCountsAValueOverARangeAsItsValuesWould) {
  std::mt19937_64 rng(12);
  for (size_t n : {1, 127, 128, 129, 700}) {
    for (unsigned width : {0u, 1u, 3u, 8u, 17u, 64u}) {
      std::vector<int64_t> values(n);
      uint64_t mask = width == 0 ? 0 : (width == 64 ? ~0ull : (1ull << width) - 1);
      // Some blocks from 0 (zeros among them), some from 5 (none).
      for (size_t i = 0; i < n; ++i) {
        values[i] = int64_t((rng() & mask) + ((i / 128) % 2 == 0 ? 0 : 5));
      }
      std::string encoded;
      PutBitPacked(&encoded, values);
      ByteReader in(encoded);
      BitPackedView view;
      ASSERT_TRUE(view.Parse(in));
      for (int trial = 0; trial < 40; ++trial) {
        size_t begin = rng() % n, count = rng() % (n - begin + 1);
        for (int64_t value : {int64_t(0), int64_t(5), int64_t(-1), values[rng() % n]}) {
          auto first = values.begin() + ptrdiff_t(begin);
          EXPECT_EQ(view.Count(begin, count, value),
                    uint64_t(std::count(first, first + ptrdiff_t(count), value)))
              << n << " values of " << width << " bits, [" << begin << ", +" << count << "), "
              << value;
        }
      }
    }
  }
}

// Counting in place agrees with unpacking and counting, for every width
// (whole bytes take a path of their own) and values in and out of a block's
// range.
TEST(BitPack, CountsValuesInPlaceAsUnpackingWould) {
  std::mt19937_64 rng(11);
  for (size_t n : {0, 1, 127, 128, 129, 2048}) {
    for (unsigned width : {0u, 3u, 8u, 11u, 16u, 17u, 32u, 40u}) {
      std::vector<int64_t> values(n);
      uint64_t mask = width == 0 ? 0 : (1ull << width) - 1;
      for (int64_t& v : values) v = int64_t(rng() & mask) + (rng() % 3 == 0 ? 0 : 5);
      std::string encoded;
      PutBitPacked(&encoded, values);
      std::vector<int64_t> probes = {0, 5, -1, int64_t(mask) + 100};
      if (n > 0) probes.push_back(values[rng() % n]);
      for (int64_t a : probes) {
        for (int64_t b : {int64_t(0), int64_t(5)}) {
          ByteReader in(encoded);
          uint64_t na = 99, nb = 99, total = 0;
          ASSERT_TRUE(CountInBitPacked(in, a, b, &na, &nb, &total));
          EXPECT_TRUE(in.done());
          EXPECT_EQ(total, n);
          EXPECT_EQ(na, uint64_t(std::count(values.begin(), values.end(), a)))
              << n << " values of " << width << " bits, a " << a;
          EXPECT_EQ(nb, uint64_t(std::count(values.begin(), values.end(), b)))
              << n << " values of " << width << " bits, b " << b;
        }
      }
    }
  }
  std::string truncated;
  PutBitPacked(&truncated, std::vector<int64_t>(300, 7));
  truncated.resize(truncated.size() - 1);
  ByteReader in(truncated);
  uint64_t na, nb, total;
  EXPECT_FALSE(CountInBitPacked(in, 7, 0, &na, &nb, &total));
}

TEST(BitPack, SpendsTheBlocksWidthPerValue) {
  std::vector<int64_t> values(128);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 1'000'000 + int64_t(i % 32);  // 5 bits
  std::string encoded;
  PutBitPacked(&encoded, values);
  // count (2 bytes) + min (3) + width (1) + 128 * 5 bits (80 bytes).
  EXPECT_EQ(encoded.size(), 2u + 3u + 1u + 80u);
}

TEST(BitPack, DamageIsReportedNotRead) {
  std::vector<int64_t> values(300, 12345);
  values[7] = 99;
  std::string encoded;
  PutBitPacked(&encoded, values);
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    ByteReader in(std::string_view(encoded).substr(0, cut));
    std::vector<int64_t> decoded;
    EXPECT_FALSE(GetBitPacked(in, &decoded)) << "truncated to " << cut << " bytes";
  }
  std::string huge_count;
  PutVarint(&huge_count, 1ull << 40);
  ByteReader in(huge_count);
  std::vector<int64_t> decoded;
  EXPECT_FALSE(GetBitPacked(in, &decoded));
  std::string bad_width = encoded;
  bad_width[2 + 2] = char(65);  // after the count (2 bytes) and the first min (zigzag 99: 2 bytes)
  ByteReader in2(bad_width);
  EXPECT_FALSE(GetBitPacked(in2, &decoded));
}

}  // namespace
}  // namespace polytrace::store

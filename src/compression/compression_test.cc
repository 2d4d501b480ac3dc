#include "compression/compression.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

TEST(CompressionTest, GzipAndZstdRoundTrip) {
  std::string input(100000, 'a');
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kDeflate}) {
    std::string packed = Compress(c, input);
    EXPECT_LT(packed.size(), input.size());
    Result<std::string> out = Decompress(c, packed, 1 << 20);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, input);
  }
}

TEST(CompressionTest, GzipBombStopsAtTheLimit) {
  std::string bomb = Compress(Compression::kGzip, std::string(50 << 20, '\0'));
  EXPECT_LT(bomb.size(), 1u << 20);  // over 50:1
  Result<std::string> out = Decompress(Compression::kGzip, bomb, 1 << 20);
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
}

TEST(CompressionTest, ZstdBombStopsAtTheLimit) {
  std::string bomb = Compress(Compression::kZstd, std::string(50 << 20, '\0'));
  Result<std::string> out = Decompress(Compression::kZstd, bomb, 1 << 20);
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
}

TEST(CompressionTest, GarbageIsInvalidArgument) {
  Result<std::string> out = Decompress(Compression::kGzip, "not gzip at all", 1 << 20);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  out = Decompress(Compression::kZstd, "not zstd at all", 1 << 20);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(CompressionTest, TruncatedGzipIsInvalidArgument) {
  std::string packed = Compress(Compression::kGzip, std::string(10000, 'x'));
  packed.resize(packed.size() / 2);
  EXPECT_EQ(Decompress(Compression::kGzip, packed, 1 << 20).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CompressionTest, ConcatenatedGzipMembersAreOneBody) {
  std::string first(70000, 'a'), second = "and then some";
  std::string body = Compress(Compression::kGzip, first) + Compress(Compression::kGzip, second);
  Result<std::string> out = Decompress(Compression::kGzip, body, 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(*out == first + second);
  body += "x";  // a trailing byte is not a member
  EXPECT_EQ(Decompress(Compression::kGzip, body, 1 << 20).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CompressionTest, DamagedGzipNamesTheProblem) {
  std::string packed = Compress(Compression::kGzip, std::string(10000, 'x') + "tail");
  packed[packed.size() - 6] ^= 0x40;  // in the CRC-32 of the trailer
  Result<std::string> out = Decompress(Compression::kGzip, packed, 1 << 20);
  ASSERT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "invalid gzip body: incorrect data check");
  out = Decompress(Compression::kGzip, "not gzip at all", 1 << 20);
  EXPECT_EQ(out.status().message(), "invalid gzip body: incorrect header check");
}

TEST(CompressionTest, UnknownEncodingIsNamed) {
  Result<Compression> c = ParseCompression("br");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("\"br\""), std::string::npos);
}

}  // namespace
// Incompressible input must fit the output buffer (stored blocks), and
// bodies larger than one compression chunk (64 MiB) go through in pieces.
TEST(CompressionTest, IncompressibleAndHugeBodiesRoundTrip) {
  std::string noise(3 << 20, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (Compression c : {Compression::kGzip, Compression::kDeflate}) {
    auto back = Decompress(c, Compress(c, noise), noise.size());
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(*back == noise);
  }
  // In pieces, the same bytes as joined (some pieces empty, one past a chunk).
  std::string big((size_t{65} << 20) + 3, 'b');
  std::vector<std::string_view> parts = {"", noise, "", big, std::string_view(noise).substr(0, 5)};
  std::string joined;
  for (std::string_view p : parts) joined += p;
  for (Compression c : {Compression::kGzip, Compression::kDeflate, Compression::kZstd}) {
    auto back = Decompress(c, Compress(c, parts), joined.size());
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(*back == joined);
  }
  std::string huge((size_t{130} << 20) + 7, 'a');
  huge.replace(huge.size() - noise.size(), noise.size(), noise);
  std::string packed = Compress(Compression::kGzip, huge);
  EXPECT_LT(packed.size(), noise.size() + huge.size() / 100);
  auto back = Decompress(Compression::kGzip, packed, huge.size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == huge);
}

}  // namespace polytrace

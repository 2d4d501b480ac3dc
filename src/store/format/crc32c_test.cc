#include "store/format/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace polytrace::store {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // The CRC-32C check value from RFC 3720 (iSCSI), appendix B.4.
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros), 0x8a9136aau);
}

TEST(Crc32c, ExtendsIncrementally) {
  std::string data = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t whole = Crc32c(data);
  EXPECT_EQ(Crc32c(std::string_view(data).substr(13), Crc32c(std::string_view(data).substr(0, 13))),
            whole);
}

}  // namespace
}  // namespace polytrace::store

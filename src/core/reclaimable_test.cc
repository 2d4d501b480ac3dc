#include "core/reclaimable.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

TEST(Reclaimable, EveryLiveReclaimerIsAskedAndItsBytesSummed) {
  int asked = 0;
  {
    Reclaimable a([&] {
      ++asked;
      return size_t(100);
    });
    Reclaimable b([&] {
      ++asked;
      return size_t(20);
    });
    EXPECT_EQ(ReclaimCaches(), 120u);
    EXPECT_EQ(asked, 2);
  }
  EXPECT_EQ(ReclaimCaches(), 0u);  // gone with their registrations
  EXPECT_EQ(asked, 2);
}

}  // namespace
}  // namespace polytrace

#include "store/engine/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace polytrace::store {
namespace {

TEST(LatencyHistogramTest, QuantilesWithinTheBucketError) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(15.0, 1.5);  // ~3 ms median, long tail
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    uint64_t v = uint64_t(dist(rng));
    values.push_back(v);
    h.Add(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.95, 0.99}) {
    double exact = double(values[size_t(q * double(values.size() - 1))]);
    double got = double(h.Quantile(q));
    EXPECT_GE(got, exact * 0.999) << q;
    EXPECT_LE(got, exact * 1.13) << q;  // one bucket: 1/8 of a power of two
  }
  EXPECT_EQ(h.count(), 100'000u);
}

TEST(LatencyHistogramTest, SmallValuesEmptyAndMerge) {
  LatencyHistogram a, b;
  EXPECT_EQ(a.Quantile(0.5), 0u);
  for (uint64_t v : {0, 1, 2, 3}) a.Add(v);
  EXPECT_EQ(a.Quantile(0.0), 0u);
  EXPECT_EQ(a.Quantile(1.0), 3u);
  b.Add(UINT64_MAX);
  a.Merge(b);
  EXPECT_EQ(a.count(), 5u);
  EXPECT_EQ(a.Quantile(1.0), UINT64_MAX);
}

}  // namespace
}  // namespace polytrace::store

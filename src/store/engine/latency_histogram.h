// LatencyHistogram: a duration distribution in bounded memory, for the
// service map's per-edge percentiles over any number of calls. Buckets are
// log-spaced, 8 per power of two, so a quantile is within ~9% of the exact
// value, at 4 KiB per histogram.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace polytrace::store {

class LatencyHistogram {
 public:
  void Add(uint64_t nanos) {
    ++buckets_[Bucket(nanos)];
    ++count_;
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
  }
  uint64_t count() const { return count_; }
  // The upper bound of the bucket holding the q-quantile (0 when empty).
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * double(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= rank) return UpperBound(i);
    }
    return UpperBound(kBuckets - 1);
  }

 private:
  static constexpr size_t kSub = 8;
  static constexpr size_t kBuckets = 64 * kSub;
  // Values below 8 get a bucket each; above, 3 mantissa bits under the top bit.
  static size_t Bucket(uint64_t v) {
    if (v < kSub) return v;
    int top = 63 - std::countl_zero(v);
    size_t mantissa = (v >> (top - 3)) & (kSub - 1);
    return size_t(top - 2) * kSub + mantissa;
  }
  static uint64_t UpperBound(size_t bucket) {
    if (bucket < kSub) return bucket;
    int top = int(bucket / kSub) + 2;
    uint64_t mantissa = bucket % kSub;
    uint64_t low = (uint64_t(1) << top) | (mantissa << (top - 3));
    return low + (uint64_t(1) << (top - 3)) - 1;
  }
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
};

}  // namespace polytrace::store

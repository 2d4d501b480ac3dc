// Memory the process keeps only to answer faster: the store's caches of
// decompressed column blocks and strings. The memory_limiter reclaims it
// when usage is above its soft limit, before it refuses data; the
// Collector's memory_limiter forces a garbage collection at that point, and
// a cache is what a collector can give back without losing anything.
#pragma once

#include <cstddef>
#include <functional>

namespace polytrace {

// Registers `reclaim` (drops what it can, returns the bytes it dropped)
// while it lives. Thread-safe.
class Reclaimable {
 public:
  explicit Reclaimable(std::function<size_t()> reclaim);
  ~Reclaimable();
  Reclaimable(const Reclaimable&) = delete;
  Reclaimable& operator=(const Reclaimable&) = delete;

 private:
  std::function<size_t()> reclaim_;
  friend size_t ReclaimCaches();
};

// Calls every registered reclaimer; the bytes they dropped.
size_t ReclaimCaches();

}  // namespace polytrace

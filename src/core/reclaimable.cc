#include "core/reclaimable.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace polytrace {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<Reclaimable*> live;
};

Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

}  // namespace

Reclaimable::Reclaimable(std::function<size_t()> reclaim) : reclaim_(std::move(reclaim)) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  r.live.push_back(this);
}

Reclaimable::~Reclaimable() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  r.live.erase(std::remove(r.live.begin(), r.live.end(), this), r.live.end());
}

size_t ReclaimCaches() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  size_t dropped = 0;
  for (Reclaimable* each : r.live) dropped += each->reclaim_();
  return dropped;
}

}  // namespace polytrace

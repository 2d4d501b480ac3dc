// A cache shared by every thread of the process: values by key, the least
// recently used dropped once the values passed a byte budget. Values are
// handed out as shared_ptrs, so one dropped while a reader still uses it
// lives until that reader lets go.
//
// Thread-safe; every call takes one lock (callers keep a per-thread front
// of their own for what they ask again and again).
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"

namespace polytrace::store {

template <typename Key, typename Value>
class SharedLru {
 public:
  explicit SharedLru(size_t max_bytes) : max_bytes_(max_bytes) {}
  SharedLru(const SharedLru&) = delete;
  SharedLru& operator=(const SharedLru&) = delete;

  // The value for `key`, now the most recently used; null when absent.
  std::shared_ptr<const Value> Find(const Key& key) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.at);
    return it->second.value;
  }

  // Keeps `value` (taking `bytes`) for `key`, unless another thread kept
  // one first: the value kept is returned either way.
  std::shared_ptr<const Value> Insert(const Key& key, std::shared_ptr<const Value> value,
                                      size_t bytes) {
    std::lock_guard lock(mu_);
    auto [it, added] = map_.try_emplace(key);
    if (!added) {
      order_.splice(order_.begin(), order_, it->second.at);
      return it->second.value;
    }
    order_.push_front(key);
    it->second = Entry{value, order_.begin(), bytes};
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && order_.size() > 1) {
      auto oldest = map_.find(order_.back());
      bytes_ -= oldest->second.bytes;
      map_.erase(oldest);
      order_.pop_back();
    }
    return value;
  }

  // Drops every value whose key satisfies `drop` (the values of a segment
  // that is gone); the bytes they took.
  template <typename Pred>
  size_t EraseIf(Pred drop) {
    std::lock_guard lock(mu_);
    size_t dropped = 0;
    for (auto it = order_.begin(); it != order_.end();) {
      if (!drop(*it)) {
        ++it;
        continue;
      }
      auto entry = map_.find(*it);
      dropped += entry->second.bytes;
      bytes_ -= entry->second.bytes;
      map_.erase(entry);
      it = order_.erase(it);
    }
    return dropped;
  }

  bool Full() const {
    std::lock_guard lock(mu_);
    return bytes_ >= max_bytes_;
  }
  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct Entry {
    std::shared_ptr<const Value> value;
    typename std::list<Key>::iterator at;
    size_t bytes = 0;
  };
  mutable std::mutex mu_;
  std::list<Key> order_;  // most recently used first
  absl::flat_hash_map<Key, Entry> map_;
  size_t bytes_ = 0;
  const size_t max_bytes_;
};

}  // namespace polytrace::store

#include "core/arena.h"

#include <algorithm>
#include <mutex>

namespace polytrace {
namespace {

constexpr size_t kBlockBytes = 256 * 1024;
constexpr size_t kMaxPooledBlocks = 512;  // up to 128 MiB kept warm

// Free standard blocks shared by all arenas. Arenas are created on receiver
// threads and die on exporter threads, so the pool is locked; one lock per
// 256 KiB block costs nothing measurable.
class BlockPool {
 public:
  std::unique_ptr<char[]> Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        auto b = std::move(free_.back());
        free_.pop_back();
        return b;
      }
    }
    return std::make_unique_for_overwrite<char[]>(kBlockBytes);
  }
  void Clear() {
    std::vector<std::unique_ptr<char[]>> freed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      freed.swap(free_);
    }
  }
  void Give(std::vector<std::unique_ptr<char[]>>& blocks) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& b : blocks) {
      if (free_.size() >= kMaxPooledBlocks) break;
      free_.push_back(std::move(b));
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<char[]>> free_;  // guarded by mu_
};

BlockPool& Pool() {
  static BlockPool* pool = new BlockPool();  // never destroyed: arenas may outlive statics
  return *pool;
}

}  // namespace

Arena::~Arena() { Pool().Give(blocks_); }

void Arena::ReleasePooledBlocks() { Pool().Clear(); }

void Arena::NewBlock(size_t min_bytes) {
  if (min_bytes > kBlockBytes) {
    // An allocation larger than a block gets a block of its own, which
    // becomes the current region (the caller allocates from it at once).
    large_blocks_.push_back(std::make_unique_for_overwrite<char[]>(min_bytes));
    ptr_ = large_blocks_.back().get();
    end_ = ptr_ + min_bytes;
    bytes_allocated_ += min_bytes;
    return;
  }
  blocks_.push_back(Pool().Take());
  ptr_ = blocks_.back().get();
  end_ = ptr_ + kBlockBytes;
  bytes_allocated_ += kBlockBytes;
}

}  // namespace polytrace

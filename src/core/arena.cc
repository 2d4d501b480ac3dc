#include "core/arena.h"

#include <algorithm>

namespace polytrace {

void Arena::NewBlock(size_t min_bytes) {
  // Blocks grow geometrically so a large batch needs few of them, capped so a
  // single huge string does not double the next block for everyone after it.
  size_t size = std::max(min_bytes, next_block_bytes_);
  next_block_bytes_ = std::min<size_t>(next_block_bytes_ * 2, 1 << 20);
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
  ptr_ = blocks_.back().get();
  end_ = ptr_ + size;
  bytes_allocated_ += size;
}

}  // namespace polytrace

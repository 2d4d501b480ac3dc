// Arena: a bump allocator that owns the memory of one batch of spans.
//
// Everything a decoded batch points at (strings that needed unescaping,
// attribute arrays, span arrays) lives in an arena and is freed at once when
// the arena dies. Objects placed in an arena must be trivially destructible:
// no destructor ever runs. Not thread-safe; a batch has one owner at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

namespace polytrace {

class Arena {
 public:
  Arena() = default;
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* Allocate(size_t bytes, size_t align) {
    uintptr_t p = (reinterpret_cast<uintptr_t>(ptr_) + align - 1) & ~(uintptr_t(align) - 1);
    if (ptr_ == nullptr || p + bytes > reinterpret_cast<uintptr_t>(end_)) {
      NewBlock(bytes + align);
      p = (reinterpret_cast<uintptr_t>(ptr_) + align - 1) & ~(uintptr_t(align) - 1);
    }
    ptr_ = reinterpret_cast<char*>(p + bytes);
    return reinterpret_cast<void*>(p);
  }

  template <typename T>
  T* AllocateArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    return static_cast<T*>(Allocate(sizeof(T) * n, alignof(T)));
  }

  // Copies `s` into the arena; the view stays valid as long as the arena.
  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  size_t bytes_allocated() const { return bytes_allocated_; }

  // Frees the blocks kept warm for future arenas (the memory_limiter calls
  // it above its soft limit: up to 128 MiB stays pooled after a burst).
  static void ReleasePooledBlocks();

 private:
  void NewBlock(size_t min_bytes);

  char* ptr_ = nullptr;
  char* end_ = nullptr;
  size_t bytes_allocated_ = 0;
  // Standard-size blocks go back to a process-wide pool when the arena dies,
  // so the next batch reuses warm memory instead of faulting in fresh pages
  // (measured: page faults were the largest cost of decoding).
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_blocks_;  // oversized, freed normally
};

// ArenaVec<T>: a growable array whose storage lives in an Arena. It is a plain
// (pointer, size, capacity) triple, so model structs holding it stay trivially
// copyable; growth needs the arena passed explicitly.
template <typename T>
class ArenaVec {
 public:
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  // Bytes the next Append allocates (0 while there is room).
  size_t GrowthBytes() const {
    return size_ < capacity_ ? 0 : sizeof(T) * (capacity_ == 0 ? 4 : size_t{capacity_} * 2);
  }
  T* data() { return data_; }
  const T* data() const { return data_; }

  void Reserve(Arena& arena, size_t n) {
    if (n <= capacity_) return;
    T* fresh = arena.AllocateArray<T>(n);
    if (size_ > 0) std::memcpy(static_cast<void*>(fresh), data_, sizeof(T) * size_);
    data_ = fresh;
    capacity_ = static_cast<uint32_t>(n);
  }
  T& Append(Arena& arena, const T& value = T()) {
    if (size_ == capacity_) Reserve(arena, capacity_ == 0 ? 4 : capacity_ * 2);
    data_[size_] = value;
    return data_[size_++];
  }
  // Removes elements for which pred(element) is true, keeping order.
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    uint32_t out = 0;
    for (uint32_t i = 0; i < size_; ++i) {
      if (!pred(data_[i])) data_[out++] = data_[i];
    }
    size_t removed = size_ - out;
    size_ = out;
    return removed;
  }
  // A view of elements [offset, offset+n) with no spare capacity, so an
  // Append on the view reallocates instead of writing into shared memory.
  ArenaVec Slice(size_t offset, size_t n) const {
    ArenaVec v;
    v.data_ = data_ + offset;
    v.size_ = v.capacity_ = static_cast<uint32_t>(n);
    return v;
  }
  void Clear() { size_ = 0; }
  void Truncate(size_t n) {
    if (n < size_) size_ = static_cast<uint32_t>(n);
  }

 private:
  T* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};

}  // namespace polytrace

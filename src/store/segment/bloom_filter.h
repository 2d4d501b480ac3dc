// A Bloom filter over trace IDs: the segment footer's membership filter, so
// trace-by-ID skips segments without reading them. Trace IDs are random, so
// their two 64-bit halves serve directly as the double-hashing pair.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/ids.h"

namespace polytrace::store {

class BloomFilter {
 public:
  static constexpr int kHashes = 7;  // optimal for 10 bits per key (~1% false positives)

  BloomFilter() = default;
  explicit BloomFilter(size_t keys) : bits_(std::max<size_t>(64, keys * 10 + 7) / 8, '\0') {}
  // Adopts bits produced by data().
  static BloomFilter FromBytes(std::string_view bits) {
    BloomFilter f;
    f.bits_.assign(bits);
    return f;
  }

  void Add(const TraceId& id) {
    uint64_t h1, h2;
    Hashes(id, &h1, &h2);
    for (int i = 0; i < kHashes; ++i) Set((h1 + i * h2) % bit_count());
  }
  bool MayContain(const TraceId& id) const {
    if (bits_.empty()) return true;
    uint64_t h1, h2;
    Hashes(id, &h1, &h2);
    for (int i = 0; i < kHashes; ++i) {
      if (!Get((h1 + i * h2) % bit_count())) return false;
    }
    return true;
  }
  const std::string& data() const { return bits_; }

 private:
  static void Hashes(const TraceId& id, uint64_t* h1, uint64_t* h2) {
    std::memcpy(h1, id.bytes.data(), 8);
    std::memcpy(h2, id.bytes.data() + 8, 8);
    *h2 |= 1;  // odd, so the probes cycle through every bit
  }
  uint64_t bit_count() const { return bits_.size() * 8; }
  void Set(uint64_t bit) { bits_[bit / 8] = static_cast<char>(bits_[bit / 8] | (1 << (bit % 8))); }
  bool Get(uint64_t bit) const { return (bits_[bit / 8] >> (bit % 8)) & 1; }

  std::string bits_;
};

}  // namespace polytrace::store

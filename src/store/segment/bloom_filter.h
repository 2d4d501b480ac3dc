// A Bloom filter over trace IDs or strings: the segment footer's membership
// filters, so trace-by-ID skips segments, and a value lookup the chunks of a
// value table, without reading them. Trace IDs are random, so their two
// 64-bit halves serve directly as the double-hashing pair; a string's pair
// comes from StringHashes, a function fixed by the format (it is on disk).
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
  // 10 bits a key: ~1% false positives; 8: ~2.3%.
  explicit BloomFilter(size_t keys, size_t bits_per_key = 10)
      : bits_(std::max<size_t>(64, keys * bits_per_key + 7) / 8, '\0') {}
  // Adopts bits produced by data().
  static BloomFilter FromBytes(std::string_view bits) {
    BloomFilter f;
    f.bits_.assign(bits);
    return f;
  }

  void Add(const TraceId& id) {
    uint64_t h1, h2;
    Hashes(id, &h1, &h2);
    Add(h1, h2);
  }
  bool MayContain(const TraceId& id) const {
    uint64_t h1, h2;
    Hashes(id, &h1, &h2);
    return MayContain(h1, h2);
  }
  // By a double-hashing pair (h2 odd), e.g. StringHashes'.
  void Add(uint64_t h1, uint64_t h2) {
    for (int i = 0; i < kHashes; ++i) Set((h1 + i * h2) % bit_count());
  }
  bool MayContain(uint64_t h1, uint64_t h2) const {
    if (bits_.empty()) return true;  // no filter: cannot rule anything out
    for (int i = 0; i < kHashes; ++i) {
      if (!Get((h1 + i * h2) % bit_count())) return false;
    }
    return true;
  }
  const std::string& data() const { return bits_; }

  // A string's double-hashing pair: 64-bit FNV-1a, and its SplitMix64
  // finalisation made odd. Part of the segment format: never change it.
  static void StringHashes(std::string_view s, uint64_t* h1, uint64_t* h2) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    *h1 = h;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    *h2 = (h ^ (h >> 31)) | 1;
  }

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

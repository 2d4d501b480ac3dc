// Trace and span identifiers: fixed-size byte arrays, hex at the edges.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace polytrace {

template <size_t N>
struct Id {
  static_assert(N % 8 == 0, "ids are whole 64-bit words");
  std::array<uint8_t, N> bytes{};

  static constexpr size_t kSize = N;
  bool IsZero() const {
    for (uint8_t b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }
  std::string ToHex() const;
  // Parses exactly 2*N hex digits (either case); nullopt otherwise.
  static std::optional<Id> FromHex(std::string_view hex);
  // Copies exactly N bytes; nullopt when the length differs.
  static std::optional<Id> FromBytes(std::string_view raw);
  std::string_view AsBytes() const { return {reinterpret_cast<const char*>(bytes.data()), N}; }
  // The first eight bytes as one word, in memory order: a hash key (IDs
  // are random, no mixing needed).
  uint64_t Key() const { return Word(*this, 0); }
  // Bytes [offset, offset + 4) as a big-endian 32-bit word (the web UI's
  // columns carry IDs as such words).
  uint32_t Word32(size_t offset) const {
    return uint32_t(bytes[offset]) << 24 | uint32_t(bytes[offset + 1]) << 16 |
           uint32_t(bytes[offset + 2]) << 8 | bytes[offset + 3];
  }

  // Byte-wise (lexicographic) order, computed on big-endian 64-bit words:
  // the store sorts and searches by trace ID, and a memcmp call per
  // comparison showed in its profile.
  friend bool operator==(const Id& a, const Id& b) {
    for (size_t i = 0; i < N; i += 8) {
      if (Word(a, i) != Word(b, i)) return false;
    }
    return true;
  }
  friend std::strong_ordering operator<=>(const Id& a, const Id& b) {
    for (size_t i = 0; i < N; i += 8) {
      uint64_t x = __builtin_bswap64(Word(a, i)), y = __builtin_bswap64(Word(b, i));
      if (x != y) return x < y ? std::strong_ordering::less : std::strong_ordering::greater;
    }
    return std::strong_ordering::equal;
  }

 private:
  static uint64_t Word(const Id& id, size_t offset) {
    uint64_t w;
    std::memcpy(&w, id.bytes.data() + offset, 8);
    return w;
  }

 public:
};

using TraceId = Id<16>;
using SpanId = Id<8>;

extern template struct Id<16>;
extern template struct Id<8>;

}  // namespace polytrace

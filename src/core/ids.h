// Trace and span identifiers: fixed-size byte arrays, hex at the edges.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace polytrace {

template <size_t N>
struct Id {
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

  friend bool operator==(const Id&, const Id&) = default;
  friend auto operator<=>(const Id&, const Id&) = default;
};

using TraceId = Id<16>;
using SpanId = Id<8>;

extern template struct Id<16>;
extern template struct Id<8>;

}  // namespace polytrace

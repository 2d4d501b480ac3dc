#include "core/ids.h"

#include <cstring>

namespace polytrace {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

template <size_t N>
std::string Id<N>::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

template <size_t N>
std::optional<Id<N>> Id<N>::FromHex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  Id id;
  for (size_t i = 0; i < N; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return id;
}

template <size_t N>
std::optional<Id<N>> Id<N>::FromBytes(std::string_view raw) {
  if (raw.size() != N) return std::nullopt;
  Id id;
  std::memcpy(id.bytes.data(), raw.data(), N);
  return id;
}

template struct Id<16>;
template struct Id<8>;

}  // namespace polytrace

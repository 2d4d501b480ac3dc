// How much memory decoding one OTLP request may take, known before decoding.
//
// A decoded span is 192 bytes and an attribute 88, whatever their size on
// the wire: 9 MB of empty JSON spans (`{},` three bytes each) decoded to
// 1.4 GiB. Realistic requests decode to 3-7x their size (measured on the
// load generator's tiny, realistic and demo shapes, protobuf and JSON), so
// a request may take 16x its (decompressed) size plus 1 MiB; past that it
// is refused with an error naming the limit, and the memory_limiter can
// admit requests by this cost before any of them is decoded. JSON adds
// simdjson's document, at most 10x the input (tape and string buffer).
#pragma once

#include <cstddef>

namespace polytrace::otlp {

inline constexpr size_t kDecodedBytesPerInputByte = 16;
inline constexpr size_t kDecodeSlackBytes = size_t{1} << 20;
inline constexpr size_t kJsonDocumentBytesPerInputByte = 10;

// The most the arena of a request of `input_bytes` may hold once decoded.
constexpr size_t DecodeBudget(size_t input_bytes) {
  return input_bytes * kDecodedBytesPerInputByte + kDecodeSlackBytes;
}

// What decoding a request costs at most, for admission before decoding.
constexpr size_t DecodeCost(size_t input_bytes, bool json) {
  return DecodeBudget(input_bytes) + input_bytes * (json ? kJsonDocumentBytesPerInputByte : 0);
}

}  // namespace polytrace::otlp

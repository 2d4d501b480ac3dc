// OTLP JSON: decoding never crashes, and what decodes re-encodes to JSON that
// decodes to as many spans.
#include <cstdint>
#include <string_view>

#include "otlp/json_codec.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Traces decoded;
  if (!otlp::DecodeTracesJson(input, &decoded).ok()) return 0;
  std::string again = otlp::EncodeTracesJson(decoded);
  Traces round_trip;
  if (!otlp::DecodeTracesJson(again, &round_trip).ok()) __builtin_trap();
  if (round_trip.SpanCount() != decoded.SpanCount()) __builtin_trap();
  return 0;
}

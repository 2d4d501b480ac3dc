// OTLP protobuf: decoding never crashes, scanning accepts exactly what
// decoding accepts, and what decodes re-encodes to something that decodes.
#include <cstdint>
#include <string_view>

#include "otlp/proto_codec.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Traces decoded;
  Status st = otlp::DecodeTracesProto(input, &decoded);
  otlp::TracesScan scan;
  Status scanned = otlp::ScanTracesProto(input, &scan);
  // The scan allocates nothing, so it has no memory budget to pass.
  bool over_budget = !st.ok() && st.message().find("would take more than") != std::string::npos;
  if (!over_budget && st.ok() != scanned.ok()) __builtin_trap();
  if (st.ok()) {
    if (scan.spans != decoded.SpanCount()) __builtin_trap();
    std::string again = otlp::EncodeTracesProto(decoded);
    Traces round_trip;
    if (!otlp::DecodeTracesProto(again, &round_trip).ok()) __builtin_trap();
    if (round_trip.SpanCount() != decoded.SpanCount()) __builtin_trap();
  }
  return 0;
}

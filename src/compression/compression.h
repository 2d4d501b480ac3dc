// Body compression for OTLP transports: gzip (deflate in a gzip wrapper),
// zstd, and none.
//
// Decompression is bounded: it stops as soon as the output would exceed
// `max_output_bytes`, so a 10 KB gzip bomb never becomes 10 GB in memory.
// The caller maps kResourceExhausted to 413 and kInvalidArgument to 400.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace polytrace {

enum class Compression { kNone, kGzip, kZstd, kDeflate };

// Parses a Content-Encoding / grpc-encoding / config value ("gzip", "zstd",
// "deflate", "none", "" or "identity"); InvalidArgument for anything else.
Result<Compression> ParseCompression(std::string_view name);
const char* CompressionName(Compression c);

// kResourceExhausted when the output exceeds max_output_bytes;
// kInvalidArgument when the input is not valid data of that encoding.
Result<std::string> Decompress(Compression c, std::string_view input, size_t max_output_bytes);

std::string Compress(Compression c, std::string_view input);
// The same for input in pieces (a batch's wire form), without joining them
// first where the codec can take them one after another (gzip, deflate).
std::string Compress(Compression c, std::span<const std::string_view> parts);

}  // namespace polytrace

#include "compression/compression.h"

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>
#include <span>
#include <vector>

namespace polytrace {

Result<Compression> ParseCompression(std::string_view name) {
  if (name.empty() || name == "none" || name == "identity") return Compression::kNone;
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  if (name == "deflate") return Compression::kDeflate;
  return Status::InvalidArgument(
      fmt::format("unsupported compression \"{}\" (supported: gzip, zstd, deflate, none)", name));
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kDeflate: return "deflate";
  }
  return "none";
}

namespace {

Status TooLarge(size_t max) {
  return Status::ResourceExhausted(
      fmt::format("decompressed body exceeds the limit of {} bytes", max));
}

Result<std::string> InflateBounded(std::string_view input, size_t max, int window_bits,
                                   const char* what) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return Status::Internal("inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  std::string out;
  out.resize(std::min<size_t>(max + 1, std::max<size_t>(input.size() * 4, 4096)));
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) {
      if (out.size() > max) return TooLarge(max);
      out.resize(std::min<size_t>(out.size() * 2, max + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (produced > max) return TooLarge(max);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are legal; continue with the next one.
      if (zs.avail_in > 0 && window_bits > MAX_WBITS) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      return Status::InvalidArgument(fmt::format("truncated {} body", what));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Status::InvalidArgument(
          fmt::format("invalid {} body: {}", what, zs.msg ? zs.msg : "corrupt data"));
    }
  }
  out.resize(produced);
  return out;
}

Result<std::string> ZstdBounded(std::string_view input, size_t max) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string out;
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t rc = 1;
  while (in.pos < in.size || rc != 0) {
    if (out.size() > max) return TooLarge(max);
    size_t old = out.size();
    out.resize(std::min<size_t>(max + 1, old + std::max<size_t>(ZSTD_DStreamOutSize(), old)));
    ZSTD_outBuffer ob{out.data() + old, out.size() - old, 0};
    rc = ZSTD_decompressStream(ctx.get(), &ob, &in);
    out.resize(old + ob.pos);
    if (ZSTD_isError(rc)) {
      return Status::InvalidArgument(fmt::format("invalid zstd body: {}", ZSTD_getErrorName(rc)));
    }
    if (out.size() > max) return TooLarge(max);
    if (in.pos == in.size && ob.pos == 0 && rc != 0) {
      return Status::InvalidArgument("truncated zstd body");
    }
  }
  return out;
}

// Exports compress whole buffers. ISA-L's level 1 compresses the collector's
// realistic batches at 5.9 GB/s against libdeflate level 1's 1.2 GB/s (and
// zlib's streaming deflate, slower still) for a ratio of 0.045 vs 0.042
// (bench/compression_bench): gzip was a third of the collector's CPU.
std::string DeflateLevel1(std::span<const std::string_view> input, bool gzip) {
  // ISA-L counts in 32 bits: input and output go through in chunks.
  constexpr size_t kChunk = 64 << 20;
  // The stream state (hundreds of KiB) and level 1's hash tables, one per thread.
  thread_local auto stream = std::make_unique<isal_zstream>();
  thread_local std::vector<uint8_t> level_buffer(ISAL_DEF_LVL1_DEFAULT);
  isal_zstream& s = *stream;
  isal_deflate_init(&s);
  s.level = 1;
  s.level_buf = level_buffer.data();
  s.level_buf_size = static_cast<uint32_t>(level_buffer.size());
  s.gzip_flag = gzip ? IGZIP_GZIP : IGZIP_ZLIB;
  size_t total = 0;
  for (std::string_view part : input) total += part.size();
  // Room for incompressible input in stored blocks; grown if ever short.
  std::string out(total + total / 1024 + 256, '\0');
  size_t part = 0, given = 0, produced = 0;  // `given`: bytes of input[part] handed over
  while (s.internal_state.state != ZSTATE_END) {
    while (s.avail_in == 0 && part < input.size()) {
      size_t n = std::min(kChunk, input[part].size() - given);
      s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(input[part].data() + given));
      s.avail_in = static_cast<uint32_t>(n);
      given += n;
      if (given == input[part].size()) ++part, given = 0;
    }
    s.end_of_stream = part == input.size();
    if (produced == out.size()) out.resize(out.size() * 2);
    s.next_out = reinterpret_cast<uint8_t*>(out.data() + produced);
    s.avail_out = static_cast<uint32_t>(std::min(kChunk, out.size() - produced));
    if (isal_deflate(&s) != COMP_OK) std::abort();  // only a bad parameter gets here: a bug
    produced = reinterpret_cast<char*>(s.next_out) - out.data();
  }
  out.resize(produced);
  return out;
}

}  // namespace

Result<std::string> Decompress(Compression c, std::string_view input, size_t max_output_bytes) {
  switch (c) {
    case Compression::kNone:
      if (input.size() > max_output_bytes) return TooLarge(max_output_bytes);
      return std::string(input);
    case Compression::kGzip: return InflateBounded(input, max_output_bytes, 16 + MAX_WBITS, "gzip");
    case Compression::kDeflate:
      return InflateBounded(input, max_output_bytes, MAX_WBITS, "deflate");
    case Compression::kZstd: return ZstdBounded(input, max_output_bytes);
  }
  return Status::Internal("unknown compression");
}

std::string Compress(Compression c, std::string_view input) {
  switch (c) {
    case Compression::kNone: return std::string(input);
    case Compression::kZstd: {
      std::string out(ZSTD_compressBound(input.size()), '\0');
      size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 1);
      out.resize(ZSTD_isError(n) ? 0 : n);
      return out;
    }
    case Compression::kGzip:
    case Compression::kDeflate: return DeflateLevel1(std::span(&input, 1), c == Compression::kGzip);
  }
  return std::string(input);
}

std::string Compress(Compression c, std::span<const std::string_view> parts) {
  if (c == Compression::kGzip || c == Compression::kDeflate) {
    return DeflateLevel1(parts, c == Compression::kGzip);
  }
  std::string whole;
  for (std::string_view part : parts) whole += part;
  return Compress(c, whole);
}

}  // namespace polytrace

// WAL files after a crash or a bad disk: replay keeps every intact record
// before the damage and reports the rest, never crashes.
#include <cstdint>
#include <fstream>

#include "otlp/proto_codec.h"
#include "scratch_path.h"
#include "store/wal/wal.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchPath scratch("wal_fuzz", ".log");
  const std::string& path = scratch.str();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto contents = store::ReadWalFile(path, /*truncate=*/false);
  if (!contents.ok()) return 0;
  for (const std::string& record : contents->records) {
    Traces t;
    (void)otlp::DecodeTracesProto(record, &t);
  }
  return 0;
}

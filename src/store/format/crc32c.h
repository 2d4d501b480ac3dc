// CRC32C (Castagnoli), the checksum of every WAL record and segment block.
//
// Debian 12 has no crc32c library and abseil 20220623 has no CRC, so this
// uses the SSE4.2 `crc32` instruction when the CPU has it (about 20 GB/s
// here) and a table otherwise; both give identical results.
#pragma once

#include <cstdint>
#include <string_view>

namespace polytrace::store {

uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace polytrace::store

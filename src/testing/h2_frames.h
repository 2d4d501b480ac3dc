// HTTP/2 frames written by hand (RFC 9113 section 4.1), for tests that need
// exactly the bytes a hostile or unusual client sends, cut where they choose.
#pragma once

#include <cstdint>
#include <string>

namespace polytrace::testing {

inline constexpr uint8_t kH2Headers = 0x1, kH2RstStream = 0x3, kH2Settings = 0x4, kH2Ping = 0x6,
                         kH2Continuation = 0x9;
inline constexpr uint8_t kH2Ack = 0x1, kH2EndStream = 0x1, kH2EndHeaders = 0x4;

// A frame: its 9-byte header and `payload`.
std::string H2Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload);
// The client's connection preface and an empty SETTINGS frame.
std::string H2Preface();
// A header block for POST /v1/traces to 127.0.0.1 (HPACK: indexed :method
// POST and :scheme http, literal :path and :authority without indexing).
std::string H2PostHead();

}  // namespace polytrace::testing

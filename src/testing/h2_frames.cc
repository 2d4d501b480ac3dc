#include "testing/h2_frames.h"

namespace polytrace::testing {

std::string H2Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  std::string f;
  for (int shift = 16; shift >= 0; shift -= 8)
    f.push_back(static_cast<char>(payload.size() >> shift));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  return f + payload;
}

std::string H2Preface() {
  return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + H2Frame(kH2Settings, 0, 0, "");
}

std::string H2PostHead() {
  return std::string("\x83\x86", 2) + "\x04\x0a/v1/traces" + "\x01\x09" + "127.0.0.1";
}

}  // namespace polytrace::testing

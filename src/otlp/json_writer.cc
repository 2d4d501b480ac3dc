#include "otlp/json_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace polytrace {

void JsonWriter::Double(double v) {
  Separate();
  if (std::isnan(v)) {
    out_ += "\"NaN\"";
  } else if (std::isinf(v)) {
    out_ += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    // Shortest representation that round-trips.
    out_ += fmt::format("{}", v);
  }
}

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Bytes a JSON string escapes: control characters, '"' and '\\'.
constexpr std::array<bool, 256> kEscaped = [] {
  std::array<bool, 256> escaped{};
  for (int c = 0; c < 0x20; ++c) escaped[c] = true;
  escaped['"'] = escaped['\\'] = true;
  return escaped;
}();

}  // namespace

void JsonWriter::Hex(std::span<const uint8_t> bytes) {
  Separate();
  out_ += '"';
  char buf[64];  // an ID's digits at once
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), sizeof buf / 2);
    for (size_t i = 0; i < n; ++i) {
      buf[2 * i] = kHexDigits[bytes[i] >> 4];
      buf[2 * i + 1] = kHexDigits[bytes[i] & 0xf];
    }
    out_.append(buf, 2 * n);
    bytes = bytes.subspan(n);
  }
  out_ += '"';
}

void JsonWriter::AppendString(std::string_view s) {
  // Most strings need no escape: appended whole (a byte at a time was a
  // tenth of answering a search in the Jaeger API).
  size_t i = 0;
  while (i < s.size() && !kEscaped[static_cast<unsigned char>(s[i])]) ++i;
  if (i == s.size()) {
    out_ += '"';
    out_.append(s);
    out_ += '"';
    return;
  }
  out_ += '"';
  size_t run = 0;  // start of the current run of bytes needing no escape
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kEscaped[c]) continue;
    out_.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      default:
        out_ += "\\u00";
        out_ += kHexDigits[c >> 4];
        out_ += kHexDigits[c & 0xf];
    }
  }
  out_.append(s.data() + run, s.size() - run);
  out_ += '"';
}

}  // namespace polytrace

// Base64 (RFC 4648): standard alphabet with padding on output; standard or
// URL-safe alphabet, padded or not, on input (as protojson accepts).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace polytrace {

std::string Base64Encode(std::string_view in);
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace polytrace

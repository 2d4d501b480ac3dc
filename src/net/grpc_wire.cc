#include "net/grpc_wire.h"

#include <fmt/format.h>

#include "core/base64.h"

namespace polytrace::grpc_wire {

bool IsGrpcContentType(std::string_view content_type) {
  constexpr std::string_view kGrpc = "application/grpc";
  if (!content_type.starts_with(kGrpc)) return false;
  return content_type.size() == kGrpc.size() || content_type[kGrpc.size()] == '+' ||
         content_type[kGrpc.size()] == ';';
}

std::optional<MessagePrefix> ParsePrefix(std::string_view bytes) {
  if (bytes.size() < kPrefixBytes) return std::nullopt;
  auto flag = static_cast<uint8_t>(bytes[0]);
  if (flag > 1) return std::nullopt;
  uint32_t length = 0;
  for (size_t i = 1; i < kPrefixBytes; ++i) length = length << 8 | static_cast<uint8_t>(bytes[i]);
  return MessagePrefix{flag == 1, length};
}

HttpResponse Reply(std::string_view message) {
  HttpResponse r;
  r.headers.emplace_back("content-type", "application/grpc");
  r.body.reserve(kPrefixBytes + message.size());
  r.body.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    r.body.push_back(static_cast<char>(message.size() >> shift & 0xff));
  }
  r.body.append(message);
  r.trailers.emplace_back("grpc-status", "0");
  return r;
}

HttpResponse Refusal(Code code, std::string_view message, std::string_view details) {
  HttpResponse r;
  r.headers.emplace_back("content-type", "application/grpc");
  r.headers.emplace_back("grpc-status", std::to_string(static_cast<int>(code)));
  if (!message.empty()) r.headers.emplace_back("grpc-message", EncodeMessage(message));
  if (!details.empty()) {
    std::string encoded = Base64Encode(details);
    // Unpadded, as gRPC's binary headers are sent.
    while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
    r.headers.emplace_back("grpc-status-details-bin", std::move(encoded));
  }
  return r;
}

Code CodeForHttpStatus(int status) {
  switch (status) {
    case 401: return kUnauthenticated;
    case 403: return kPermissionDenied;
    case 404: return kUnimplemented;
    case 413:
    case 429: return kResourceExhausted;
    case 502:
    case 503:
    case 504: return kUnavailable;
    default: return kInternal;
  }
}

std::string EncodeMessage(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if (c < 0x20 || c > 0x7e || c == '%') {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace polytrace::grpc_wire

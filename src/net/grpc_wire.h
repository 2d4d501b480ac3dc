// gRPC over HTTP/2, the wire facts a server needs (gRPC's PROTOCOL-HTTP2):
// a message travels as a 5-byte prefix (compressed flag, big-endian length)
// and its bytes; the outcome travels in trailers (grpc-status, grpc-message
// percent-encoded, grpc-status-details-bin as base64 google.rpc.Status),
// or, for a call answered without a message, in the response headers alone
// ("trailers-only").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_server.h"

namespace polytrace::grpc_wire {

// Canonical status codes (google.rpc.Code).
enum Code : int {
  kOk = 0,
  kInvalidArgument = 3,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kUnauthenticated = 16,
};

constexpr size_t kPrefixBytes = 5;

// "application/grpc", "application/grpc+proto", "application/grpc;...".
bool IsGrpcContentType(std::string_view content_type);

struct MessagePrefix {
  bool compressed = false;
  uint32_t length = 0;
};
// The prefix at the start of `bytes`; nullopt if fewer than 5 bytes or the
// flag is neither 0 nor 1.
std::optional<MessagePrefix> ParsePrefix(std::string_view bytes);

// A successful unary answer: `message` framed, grpc-status 0 in trailers.
HttpResponse Reply(std::string_view message);
// A call refused with `code`: trailers-only. `details` is a serialized
// google.rpc.Status (e.g. with RetryInfo), sent as grpc-status-details-bin.
HttpResponse Refusal(Code code, std::string_view message, std::string_view details = {});

// The code a server's own HTTP refusal means to a gRPC client (401 ->
// UNAUTHENTICATED, 413 and 429 -> RESOURCE_EXHAUSTED, 400 -> INTERNAL, ...),
// as gRPC maps HTTP statuses.
Code CodeForHttpStatus(int status);

// grpc-message's percent-encoding: bytes outside 0x20..0x7E and '%'.
std::string EncodeMessage(std::string_view message);

}  // namespace polytrace::grpc_wire

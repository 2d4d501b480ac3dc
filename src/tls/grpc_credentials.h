// gRPC credentials from the Collector's TLS settings, for the OTLP/gRPC
// exporter (the receiver serves gRPC itself: receivers/otlp/grpc_server.h). grpc++ does its own TLS
// (BoringSSL-style API over OpenSSL), so these settings are first loaded with OpenSSL
// (tls_context.h) for precise errors at start, then handed to gRPC.
//
// grpc++ 1.51 negotiates TLS 1.2 and 1.3 and offers no way to narrow that:
// min_version "1.3" or max_version "1.2" are refused on the exporter rather
// than silently ignored.
#pragma once

#include <memory>

#include "core/status.h"
#include "tls/tls_config.h"

namespace grpc {
class ChannelCredentials;
class ChannelArguments;
}  // namespace grpc

namespace polytrace {

// insecure: plaintext. Otherwise TLS, verifying the server against ca_file
// (or the system's CAs), with server_name_override set on `args`.
Result<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const TlsClientConfig& config, grpc::ChannelArguments* args);

// The version settings gRPC can honour (see above).
Status ValidateGrpcTlsVersions(const TlsConfig& config);

}  // namespace polytrace

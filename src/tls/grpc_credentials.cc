#include "tls/grpc_credentials.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/channel_arguments.h>

#include "tls/tls_context.h"

namespace polytrace {
namespace {

namespace gx = grpc::experimental;

}  // namespace

Status ValidateGrpcTlsVersions(const TlsConfig& c) {
  if (c.min_version == "1.3" || c.max_version == "1.0" || c.max_version == "1.1" ||
      c.max_version == "1.2") {
    return Status::InvalidArgument(
        "gRPC negotiates TLS 1.2 and 1.3 and cannot be narrowed here: leave min_version at 1.2 "
        "or lower and max_version unset or 1.3");
  }
  return Status::Ok();
}

Result<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const TlsClientConfig& c, grpc::ChannelArguments* args) {
  if (c.insecure) return grpc::InsecureChannelCredentials();
  POLYTRACE_RETURN_IF_ERROR(ValidateGrpcTlsVersions(c));
  Result<SslContextPtr> check = NewClientSslContext(c);  // precise errors for bad files
  if (!check.ok()) return check.status();
  std::string roots, key, cert;
  if (c.HasCa()) {
    Result<std::string> ca = LoadPem(c.ca_file, c.ca_pem, "tls.ca_file");
    if (!ca.ok()) return ca.status();
    roots = ca.value();
  }
  if (c.HasCertificate()) {
    Result<std::string> k = LoadPem(c.key_file, c.key_pem, "tls.key_file");
    if (!k.ok()) return k.status();
    Result<std::string> crt = LoadPem(c.cert_file, c.cert_pem, "tls.cert_file");
    if (!crt.ok()) return crt.status();
    key = k.value();
    cert = crt.value();
  }
  if (!c.server_name_override.empty()) args->SetSslTargetNameOverride(c.server_name_override);
  if (c.insecure_skip_verify) {
    // Encrypted, but any certificate is accepted: what Go's
    // InsecureSkipVerify means.
    gx::TlsChannelCredentialsOptions options;
    if (!key.empty() || !roots.empty()) {
      // gRPC aborts on a provider with neither roots nor an identity.
      std::vector<gx::IdentityKeyCertPair> identity;
      if (!key.empty()) identity.push_back({key, cert});
      options.set_certificate_provider(
          std::make_shared<gx::StaticDataCertificateProvider>(roots, identity));
      if (!key.empty()) options.watch_identity_key_cert_pairs();
    }
    options.set_verify_server_certs(false);
    options.set_check_call_host(false);
    options.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
    return gx::TlsCredentials(options);
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = roots;  // empty: gRPC's default roots (the system's)
  options.pem_private_key = key;
  options.pem_cert_chain = cert;
  return grpc::SslCredentials(options);
}

}  // namespace polytrace

#include "tls/tls_context.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace polytrace {
namespace {

// The reasons OpenSSL queued, oldest first; clears the queue.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string Describe(const std::string& file, const std::string& setting) {
  return file.empty() ? fmt::format("tls.{}", setting)
                      : fmt::format("tls.{} \"{}\"", setting, file);
}

// Every certificate in a PEM text, in order.
Result<std::vector<X509*>> ReadCertificates(const std::string& pem, const std::string& what) {
  BioPtr bio = MemoryBio(pem);
  std::vector<X509*> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.push_back(cert);
  }
  ERR_clear_error();  // the read that ended the loop reports "no start line"
  if (certs.empty()) {
    return Status::InvalidArgument(fmt::format("{}: no PEM certificate found", what));
  }
  return certs;
}

Status UseCertificateAndKey(SSL_CTX* ctx, const TlsConfig& c) {
  std::string cert_what = Describe(c.cert_file, c.cert_file.empty() ? "cert_pem" : "cert_file");
  std::string key_what = Describe(c.key_file, c.key_file.empty() ? "key_pem" : "key_file");
  Result<std::string> cert_pem = LoadPem(c.cert_file, c.cert_pem, cert_what);
  if (!cert_pem.ok()) return cert_pem.status();
  Result<std::string> key_pem = LoadPem(c.key_file, c.key_pem, key_what);
  if (!key_pem.ok()) return key_pem.status();
  Result<std::vector<X509*>> chain = ReadCertificates(cert_pem.value(), cert_what);
  if (!chain.ok()) return chain.status();
  int ok = SSL_CTX_use_certificate(ctx, chain.value()[0]);
  for (size_t i = 1; ok == 1 && i < chain.value().size(); ++i) {
    ok = SSL_CTX_add1_chain_cert(ctx, chain.value()[i]);
  }
  for (X509* cert : chain.value()) X509_free(cert);
  if (ok != 1) return Status::InvalidArgument(fmt::format("{}: {}", cert_what, OpenSslErrors()));
  BioPtr bio = MemoryBio(key_pem.value());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument(
        fmt::format("{}: not a PEM private key (an encrypted key is not supported)", key_what));
  }
  ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(
        fmt::format("{} does not match the certificate of {}", key_what, cert_what));
  }
  return Status::Ok();
}

// Adds the certificates of a PEM text to the context's trust store.
Status TrustCertificates(SSL_CTX* ctx, const std::string& pem, const std::string& what,
                         bool client_ca_list) {
  Result<std::vector<X509*>> certs = ReadCertificates(pem, what);
  if (!certs.ok()) return certs.status();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  Status st;
  for (X509* cert : certs.value()) {
    if (st.ok() && X509_STORE_add_cert(store, cert) != 1) {
      st = Status::InvalidArgument(fmt::format("{}: {}", what, OpenSslErrors()));
    }
    // The CA names a server lists in its CertificateRequest, so clients
    // holding several certificates pick the right one.
    if (st.ok() && client_ca_list) SSL_CTX_add_client_CA(ctx, cert);
    X509_free(cert);
  }
  return st;
}

Status SetVersions(SSL_CTX* ctx, const TlsConfig& c) {
  Result<int> min = ParseTlsVersion(c.min_version, TLS1_2_VERSION);
  if (!min.ok()) return min.status();
  Result<int> max = ParseTlsVersion(c.max_version, 0);  // 0: the highest OpenSSL has
  if (!max.ok()) return max.status();
  if (SSL_CTX_set_min_proto_version(ctx, min.value()) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, max.value()) != 1) {
    return Status::InvalidArgument(fmt::format("TLS versions: {}", OpenSslErrors()));
  }
  return Status::Ok();
}

SslContextPtr Own(SSL_CTX* ctx) { return SslContextPtr(ctx, SSL_CTX_free); }

}  // namespace

Result<std::string> LoadPem(const std::string& file, const std::string& pem,
                            const std::string& setting) {
  if (file.empty()) return pem;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(
        fmt::format("{}: cannot read: {}", setting, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// ALPN (RFC 7301): the first of the server's protocols the client offers;
// none offered (an older client), the handshake goes on without ALPN.
int SelectProtocol(SSL*, const unsigned char** out, unsigned char* out_length,
                   const unsigned char* offered, unsigned int offered_length, void* arg) {
  const auto* ours = static_cast<const std::string_view*>(arg);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length,
                            reinterpret_cast<const unsigned char*>(ours->data()),
                            static_cast<unsigned int>(ours->size()), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

const std::string_view kHttp2Protocols("\x02h2\x08http/1.1", 12);
const std::string_view kHttp1Protocols("\x08http/1.1", 9);

}  // namespace

Result<SslContextPtr> NewServerSslContext(const TlsServerConfig& c, bool http2) {
  SslContextPtr ctx = Own(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Status::Internal("SSL_CTX_new: " + OpenSslErrors());
  // No compression (CRIME), no renegotiation (a client-driven CPU sink).
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Only the chain in cert_file is sent, as Go's servers do: OpenSSL would
  // otherwise complete it from the trust store (the client CAs).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
  POLYTRACE_RETURN_IF_ERROR(SetVersions(ctx.get(), c));
  POLYTRACE_RETURN_IF_ERROR(UseCertificateAndKey(ctx.get(), c));
  if (!c.client_ca_file.empty()) {
    std::string what = Describe(c.client_ca_file, "client_ca_file");
    Result<std::string> pem = LoadPem(c.client_ca_file, "", what);
    if (!pem.ok()) return pem.status();
    POLYTRACE_RETURN_IF_ERROR(TrustCertificates(ctx.get(), pem.value(), what, true));
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  SSL_CTX_set_alpn_select_cb(
      ctx.get(), SelectProtocol,
      const_cast<std::string_view*>(http2 ? &kHttp2Protocols : &kHttp1Protocols));
  return ctx;
}

Result<SslContextPtr> NewClientSslContext(const TlsClientConfig& c) {
  SslContextPtr ctx = Own(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Status::Internal("SSL_CTX_new: " + OpenSslErrors());
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  POLYTRACE_RETURN_IF_ERROR(SetVersions(ctx.get(), c));
  if (c.HasCertificate()) POLYTRACE_RETURN_IF_ERROR(UseCertificateAndKey(ctx.get(), c));
  if (c.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  if (c.HasCa()) {
    std::string what = Describe(c.ca_file, c.ca_file.empty() ? "ca_pem" : "ca_file");
    Result<std::string> pem = LoadPem(c.ca_file, c.ca_pem, what);
    if (!pem.ok()) return pem.status();
    POLYTRACE_RETURN_IF_ERROR(TrustCertificates(ctx.get(), pem.value(), what, false));
  }
  if (!c.HasCa() || c.include_system_ca_certs_pool) SSL_CTX_set_default_verify_paths(ctx.get());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

Status PrepareClientConnection(ssl_st* ssl, const std::string& host, const TlsClientConfig& c) {
  const std::string& name = c.server_name_override.empty() ? host : c.server_name_override;
  unsigned char ip[16];
  bool is_ip =
      inet_pton(AF_INET, name.c_str(), ip) == 1 || inet_pton(AF_INET6, name.c_str(), ip) == 1;
  // SNI carries host names only (RFC 6066 section 3).
  if (!is_ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    return Status::InvalidArgument(
        fmt::format("TLS server name \"{}\": {}", name, OpenSslErrors()));
  }
  if (c.insecure_skip_verify) return Status::Ok();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
  if (ok != 1) {
    return Status::InvalidArgument(
        fmt::format("TLS server name \"{}\": {}", name, OpenSslErrors()));
  }
  return Status::Ok();
}

Result<std::shared_ptr<TlsContextSource>> TlsContextSource::ForServer(const TlsServerConfig& c,
                                                                      LogError log_error,
                                                                      bool http2) {
  std::vector<std::string> files;
  for (const std::string* f : {&c.cert_file, &c.key_file, &c.client_ca_file}) {
    if (!f->empty()) files.push_back(*f);
  }
  std::chrono::nanoseconds interval = c.reload_interval;
  // reload_client_ca_file: the Collector watches the file; a one-second
  // check is the closest that needs no watcher thread.
  if (c.reload_client_ca_file && (interval.count() == 0 || interval > std::chrono::seconds(1))) {
    interval = std::chrono::seconds(1);
  }
  return Make([c, http2] { return NewServerSslContext(c, http2); }, std::move(files), interval,
              std::move(log_error));
}

Result<std::shared_ptr<TlsContextSource>> TlsContextSource::ForClient(const TlsClientConfig& c,
                                                                      LogError log_error) {
  std::vector<std::string> files;
  for (const std::string* f : {&c.cert_file, &c.key_file, &c.ca_file}) {
    if (!f->empty()) files.push_back(*f);
  }
  return Make([c] { return NewClientSslContext(c); }, std::move(files), c.reload_interval,
              std::move(log_error));
}

Result<std::shared_ptr<TlsContextSource>> TlsContextSource::Make(Builder build,
                                                                 std::vector<std::string> files,
                                                                 std::chrono::nanoseconds interval,
                                                                 LogError log_error) {
  auto source = std::shared_ptr<TlsContextSource>(new TlsContextSource());
  source->stamps_ = Stamp(files);
  Result<SslContextPtr> first = build();
  if (!first.ok()) return first.status();
  source->current_ = std::move(first.value());
  source->build_ = std::move(build);
  source->files_ = std::move(files);
  source->interval_ = interval;
  source->log_error_ = std::move(log_error);
  source->next_check_ = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
  return source;
}

std::vector<TlsContextSource::FileStamp> TlsContextSource::Stamp(
    const std::vector<std::string>& paths) {
  std::vector<FileStamp> out;
  for (const std::string& path : paths) {
    FileStamp s{path};
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      s.size = st.st_size;
      s.inode = static_cast<int64_t>(st.st_ino);
    }
    out.push_back(std::move(s));
  }
  return out;
}

SslContextPtr TlsContextSource::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (interval_.count() == 0 || files_.empty()) return current_;
  auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return current_;
  next_check_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval_);
  std::vector<FileStamp> stamps = Stamp(files_);
  if (stamps == stamps_) return current_;
  Result<SslContextPtr> rebuilt = build_();
  if (!rebuilt.ok()) {
    // Retried at the next check even if the files do not change again.
    if (log_error_) {
      log_error_("TLS certificate reload failed, keeping the previous certificate: " +
                 rebuilt.status().message());
    }
    return current_;
  }
  stamps_ = std::move(stamps);
  current_ = std::move(rebuilt.value());
  return current_;
}

}  // namespace polytrace

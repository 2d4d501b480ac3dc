// OpenSSL contexts built from TlsServerConfig / TlsClientConfig, and the
// source a listener or a client takes them from, which re-reads rotated
// certificate files every reload_interval.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "tls/tls_config.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX
struct ssl_st;      // OpenSSL's SSL

namespace polytrace {

using SslContextPtr = std::shared_ptr<ssl_ctx_st>;

// A server context: certificate chain and key, versions, and with
// client_ca_file a required, verified client certificate. Errors name the
// setting and the file ("tls.key_file \"k.pem\": ..."). With `http2`, ALPN
// selects "h2" when the client offers it (gRPC clients require it), else
// "http/1.1".
Result<SslContextPtr> NewServerSslContext(const TlsServerConfig& config, bool http2 = false);
// A client context: trusted CAs (ca_file/ca_pem, else the system's),
// optional client certificate, versions; insecure_skip_verify verifies
// nothing.
Result<SslContextPtr> NewClientSslContext(const TlsClientConfig& config);
// Per connection: SNI and the name (or IP address) the server's certificate
// must carry — `host`, or server_name_override when set.
Status PrepareClientConnection(ssl_st* ssl, const std::string& host, const TlsClientConfig& config);

// The PEM text of a setting: the file's contents, or the inline PEM.
Result<std::string> LoadPem(const std::string& file, const std::string& pem,
                            const std::string& setting);

// The context new connections use. When reload_interval is set, at most
// once per interval the files are checked, and if one changed (mtime, size
// or inode) the context is rebuilt; a rebuild that fails (a half-written
// file) keeps the previous context and is reported through `log_error`.
// Connections already open keep the context they started with.
class TlsContextSource {
 public:
  using Builder = std::function<Result<SslContextPtr>()>;
  using LogError = std::function<void(const std::string&)>;

  static Result<std::shared_ptr<TlsContextSource>> ForServer(const TlsServerConfig& config,
                                                             LogError log_error = nullptr,
                                                             bool http2 = false);
  static Result<std::shared_ptr<TlsContextSource>> ForClient(const TlsClientConfig& config,
                                                             LogError log_error = nullptr);

  // Thread-safe; cheap when nothing is due.
  SslContextPtr Current();

 private:
  struct FileStamp {
    std::string path;
    int64_t mtime_ns = 0, size = 0, inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static std::vector<FileStamp> Stamp(const std::vector<std::string>& paths);
  static Result<std::shared_ptr<TlsContextSource>> Make(Builder build,
                                                        std::vector<std::string> files,
                                                        std::chrono::nanoseconds interval,
                                                        LogError log_error);

  Builder build_;
  std::vector<std::string> files_;
  std::chrono::nanoseconds interval_{0};
  LogError log_error_;
  std::mutex mu_;
  SslContextPtr current_;
  std::vector<FileStamp> stamps_;
  std::chrono::steady_clock::time_point next_check_;
};

}  // namespace polytrace

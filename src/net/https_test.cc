// TLS and authorization on HttpServer, driven by HttpClient (both ends
// OpenSSL, certificates made at test time).
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "net/http_server.h"
#include "testing/raw_http_client.h"
#include "testing/test_certs.h"
#include "tls/tls_context.h"

namespace polytrace {
namespace {

using testing::TestCertificates;

const TestCertificates& Certs() { return TestCertificates::Shared(); }

HttpResponse Echo(HttpRequest& r) { return HttpResponse::Text(200, "ok " + r.body); }

// An HTTPS server; its TLS log lines are kept for the test to read.
class TlsServer {
 public:
  explicit TlsServer(TlsServerConfig tls,
                     std::function<std::optional<HttpResponse>(const HttpRequest&)> authorize = {},
                     std::chrono::milliseconds read_timeout = std::chrono::seconds(30)) {
    HttpServerOptions o;
    o.endpoint = "127.0.0.1:0";
    o.read_timeout = read_timeout;
    o.max_request_body_size = 1 << 20;
    o.log_error = [this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.push_back(m);
    };
    auto source = TlsContextSource::ForServer(tls);
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    o.tls_context = [s = source.value()] { return s->Current(); };
    o.authorize = std::move(authorize);
    server_ = std::make_unique<HttpServer>(o, Echo);
    EXPECT_TRUE(server_->Start().ok());
  }
  uint16_t port() const { return server_->port(); }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port()) + "/v1/traces"; }
  // Waits (bounded) for a log line containing `text`.
  bool Logged(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const std::string& l : logs_) {
          if (l.find(text) != std::string::npos) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::string Logs() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const std::string& l : logs_) out += l + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> logs_;
  std::unique_ptr<HttpServer> server_;  // last: stopped before the log it writes to goes
};

TlsServerConfig Server(const std::string& crt, const std::string& key,
                       const std::string& client_ca = "") {
  TlsServerConfig c;
  c.cert_file = crt;
  c.key_file = key;
  c.client_ca_file = client_ca;
  return c;
}

TlsClientConfig Client(const std::string& ca) {
  TlsClientConfig c;
  c.ca_file = ca;
  return c;
}

Result<HttpClientResponse> Post(const std::string& url, const TlsClientConfig& tls,
                                const HttpHeaders& headers = {}) {
  HttpClient client(Url::Parse(url).value(), tls);
  return client.Post(headers, "hi", std::chrono::seconds(5));
}

TEST(HttpsTest, ServesAClientThatTrustsItsCa) {
  TlsServer server(Server(Certs().server_crt, Certs().server_key));
  auto r = Post(server.Url(), Client(Certs().ca_crt));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok hi");
}

TEST(HttpsTest, AWrongCaFailsOnBothSidesWithAClearError) {
  TlsServer server(Server(Certs().server_crt, Certs().server_key));
  auto r = Post(server.Url(), Client(Certs().other_ca_crt));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unable to get local issuer certificate"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(server.Logged("TLS handshake with 127.0.0.1")) << server.Logs();
  EXPECT_TRUE(server.Logged("unknown ca")) << server.Logs();
}

TEST(HttpsTest, AnExpiredCertificateIsRefusedByTheClient) {
  TlsServer server(Server(Certs().expired_crt, Certs().expired_key));
  auto r = Post(server.Url(), Client(Certs().ca_crt));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("certificate has expired"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(server.Logged("certificate expired")) << server.Logs();
}

TEST(HttpsTest, MutualTlsNeedsAClientCertificateFromTheClientCa) {
  TlsServer server(Server(Certs().server_crt, Certs().server_key, Certs().ca_crt));
  auto anonymous = Post(server.Url(), Client(Certs().ca_crt));
  EXPECT_FALSE(anonymous.ok());
  EXPECT_TRUE(server.Logged("peer did not return a certificate")) << server.Logs();

  TlsClientConfig with_cert = Client(Certs().ca_crt);
  with_cert.cert_file = Certs().client_crt;
  with_cert.key_file = Certs().client_key;
  auto r = Post(server.Url(), with_cert);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpsTest, ServerNameOverrideMustMatchTheCertificate) {
  TlsServer server(Server(Certs().server_crt, Certs().server_key));
  TlsClientConfig c = Client(Certs().ca_crt);
  c.server_name_override = "localhost";  // in the certificate
  EXPECT_TRUE(Post(server.Url(), c).ok());
  c.server_name_override = "collector.example.com";  // not in it
  auto r = Post(server.Url(), c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("hostname mismatch"), std::string::npos)
      << r.status().message();
}

TEST(HttpsTest, PlaintextHttpToATlsPortGetsAPlaintext400) {
  TlsServer server(Server(Certs().server_crt, Certs().server_key));
  testing::RawHttpClient raw(server.port());
  raw.Send("POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
  testing::RawResponse r = raw.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("this port speaks TLS"), std::string::npos) << r.body;
}

// A client that connects and never finishes its handshake (silent, or a
// ClientHello cut short) holds a connection only until the read timeout.
TEST(HttpsTest, AHandshakeThatStallsIsCutAfterTheReadTimeout) {
  TlsServer server(Server(Certs().server_crt, Certs().server_key), {},
                   std::chrono::milliseconds(300));
  testing::RawHttpClient silent(server.port());
  testing::RawHttpClient partial(server.port());
  partial.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_FALSE(silent.ClosedByServerWithin(100));
  EXPECT_TRUE(silent.ClosedByServerWithin(3000));
  EXPECT_TRUE(partial.ClosedByServerWithin(3000));
  auto r = Post(server.Url(), Client(Certs().ca_crt));  // and it serves on
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpsTest, UnreadableClientFilesFailEveryRequestWithTheCause) {
  TlsClientConfig c = Client("/nonexistent/ca.crt");
  HttpClient client(Url::Parse("https://127.0.0.1:1/").value(), c);
  EXPECT_FALSE(client.status().ok());
  auto r = client.Post({}, "x", std::chrono::seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tls.ca_file \"/nonexistent/ca.crt\": cannot read"),
            std::string::npos)
      << r.status().message();
}

std::optional<HttpResponse> RequireToken(const HttpRequest& head) {
  if (head.Header("authorization") == "Bearer s3cret") return std::nullopt;
  HttpResponse r = HttpResponse::Text(401, "missing or empty authorization header\n");
  r.SetHeader("WWW-Authenticate", "Bearer");
  return r;
}

TEST(HttpsTest, AuthorizeRefusesBeforeTheBodyIsRead) {
  HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  o.max_request_body_size = 64 << 20;
  std::atomic<int> handled{0};
  o.authorize = RequireToken;
  HttpServer server(o, [&](HttpRequest& r) {
    ++handled;
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  // 50 MB announced and never sent: the answer cannot wait for the body.
  testing::RawHttpClient raw(server.port());
  raw.Send("POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000000\r\n\r\n");
  testing::RawResponse r = raw.Read();
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << r.headers;
  EXPECT_EQ(handled.load(), 0);

  HttpClient client(Url::Parse("http://127.0.0.1:" + std::to_string(server.port()) + "/").value());
  auto ok = client.Post({{"Authorization", "Bearer s3cret"}}, "hi", std::chrono::seconds(5));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(handled.load(), 1);
}

}  // namespace
}  // namespace polytrace

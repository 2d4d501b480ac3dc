#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <thread>

#include "testing/test_certs.h"
#include "tls/tls_config.h"
#include "tls/tls_context.h"

namespace polytrace {
namespace {

using testing::TestCertificates;

const TestCertificates& Certs() { return TestCertificates::Shared(); }

Result<std::optional<TlsServerConfig>> ParseServer(const std::string& yaml) {
  ConfigReader r(YAML::Load(yaml), "receivers.otlp.protocols.http", "config.yaml");
  return ReadTlsServerConfig(r);
}

Status ParseClient(const std::string& yaml, TlsClientConfig* out) {
  ConfigReader r(YAML::Load(yaml), "exporters.otlp", "config.yaml");
  return ReadTlsClientConfig(r, out);
}

TEST(TlsConfigTest, ReadsTheCollectorsKeys) {
  auto c = ParseServer(
      "tls: {cert_file: a.crt, key_file: a.key, client_ca_file: ca.crt, min_version: '1.3', "
      "reload_interval: 1h}");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c.value().has_value());
  EXPECT_EQ(c.value()->cert_file, "a.crt");
  EXPECT_EQ(c.value()->client_ca_file, "ca.crt");
  EXPECT_EQ(c.value()->min_version, "1.3");
  EXPECT_EQ(c.value()->reload_interval, std::chrono::hours(1));
  auto absent = ParseServer("endpoint: x");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent.value().has_value());

  TlsClientConfig client;
  ASSERT_TRUE(ParseClient("tls: {insecure_skip_verify: true, server_name_override: a.example, "
                          "cert_file: c.crt, key_file: c.key}",
                          &client)
                  .ok());
  EXPECT_TRUE(client.insecure_skip_verify);
  EXPECT_EQ(client.server_name_override, "a.example");
}

TEST(TlsConfigTest, RefusesWhatTheCollectorRefuses) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"tls: {cert_file: a.crt}", "provide both certificate and key, or neither"},
      {"tls: {cert_file: a.crt, cert_pem: x, key_file: k}", "not both"},
      {"tls: {cert_file: a, key_file: k, min_version: '1.4'}",
       "invalid TLS min_version: unsupported TLS version: \"1.4\""},
      {"tls: {cert_file: a, key_file: k, min_version: '1.3', max_version: '1.2'}",
       "min_version 1.3 is greater than max_version 1.2"},
      {"tls: {cert_file: a, key_file: k, cipher_suites: [TLS_AES_128_GCM_SHA256]}",
       "cipher_suites: is not supported"},
      {"tls: {client_ca_file: ca.crt}", "a TLS server needs a certificate"},
      {"tls: {cert_file: a, key_file: k, bogus: 1}", "bogus"},
  };
  for (const Case& c : cases) {
    auto r = ParseServer(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.yaml << " -> " << r.status().message();
  }
}

TlsServerConfig ServerConfig(std::string crt, std::string key, std::string client_ca = "") {
  TlsServerConfig c;
  c.cert_file = std::move(crt);
  c.key_file = std::move(key);
  c.client_ca_file = std::move(client_ca);
  return c;
}

TEST(TlsContextTest, ErrorsNameTheFileAndTheCause) {
  auto missing = NewServerSslContext(ServerConfig("/nonexistent.crt", Certs().server_key));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "tls.cert_file \"/nonexistent.crt\": cannot read: No such file or directory");
  auto mismatch = NewServerSslContext(ServerConfig(Certs().server_crt, Certs().other_key));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("does not match the certificate"), std::string::npos)
      << mismatch.status().message();
  auto not_pem = NewServerSslContext(ServerConfig(Certs().server_key, Certs().server_key));
  ASSERT_FALSE(not_pem.ok());
  EXPECT_NE(not_pem.status().message().find("no PEM certificate found"), std::string::npos);
  TlsClientConfig client;
  client.ca_file = Certs().server_key;
  EXPECT_FALSE(NewClientSslContext(client).ok());
}

struct Outcome {
  bool ok = false;
  std::string client_error;  // the verification result or OpenSSL's reason
  std::string server_error;
};

std::string SslFailure(SSL* ssl) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) return X509_verify_cert_error_string(verify);
  char buf[256] = "";
  if (unsigned long e = ERR_peek_last_error()) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

// A full handshake between two contexts over an in-memory BIO pair, then
// one byte each way (TLS 1.3 reports a refused client certificate only then).
Outcome Handshake(const SslContextPtr& server, const TlsClientConfig& client_config,
                  const std::string& host = "localhost") {
  auto client = NewClientSslContext(client_config);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  SSL* s = SSL_new(server.get());
  SSL* c = SSL_new(client.value().get());
  BIO *client_bio, *server_bio;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(c, client_bio, client_bio);
  SSL_set_bio(s, server_bio, server_bio);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  Outcome out;
  EXPECT_TRUE(PrepareClientConnection(c, host, client_config).ok());
  bool c_done = false, s_done = false;
  for (int i = 0; i < 50 && !(c_done && s_done); ++i) {
    if (!c_done) {
      int rc = SSL_do_handshake(c);
      if (rc == 1) {
        c_done = true;
      } else if (int e = SSL_get_error(c, rc);
                 e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        out.client_error = SslFailure(c);
        break;
      }
    }
    if (!s_done) {
      int rs = SSL_do_handshake(s);
      if (rs == 1) {
        s_done = true;
      } else if (int e = SSL_get_error(s, rs);
                 e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        out.server_error = SslFailure(s);
        break;
      }
    }
  }
  if (c_done && s_done) {
    char byte = 'x';
    out.ok = SSL_write(c, &byte, 1) == 1 && SSL_read(s, &byte, 1) == 1 &&
             SSL_write(s, &byte, 1) == 1 && SSL_read(c, &byte, 1) == 1;
    if (!out.ok) out.client_error = SslFailure(c);
  }
  SSL_free(c);
  SSL_free(s);
  return out;
}

TlsClientConfig Trusting(const std::string& ca) {
  TlsClientConfig c;
  c.ca_file = ca;
  return c;
}

TEST(TlsContextTest, VerifiesTheServerAgainstTheConfiguredCa) {
  auto server = NewServerSslContext(ServerConfig(Certs().server_crt, Certs().server_key));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_TRUE(Handshake(server.value(), Trusting(Certs().ca_crt)).ok);
  EXPECT_TRUE(Handshake(server.value(), Trusting(Certs().ca_crt), "127.0.0.1").ok);

  Outcome wrong_ca = Handshake(server.value(), Trusting(Certs().other_ca_crt));
  EXPECT_FALSE(wrong_ca.ok);
  EXPECT_EQ(wrong_ca.client_error, "unable to get local issuer certificate");

  TlsClientConfig other_name = Trusting(Certs().ca_crt);
  other_name.server_name_override = "collector.example.com";
  Outcome mismatch = Handshake(server.value(), other_name);
  EXPECT_FALSE(mismatch.ok);
  EXPECT_EQ(mismatch.client_error, "hostname mismatch");

  TlsClientConfig skip;
  skip.insecure_skip_verify = true;
  EXPECT_TRUE(Handshake(server.value(), skip).ok);

  auto expired = NewServerSslContext(ServerConfig(Certs().expired_crt, Certs().expired_key));
  ASSERT_TRUE(expired.ok());
  Outcome old = Handshake(expired.value(), Trusting(Certs().ca_crt));
  EXPECT_FALSE(old.ok);
  EXPECT_EQ(old.client_error, "certificate has expired");
}

TEST(TlsContextTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  auto server =
      NewServerSslContext(ServerConfig(Certs().server_crt, Certs().server_key, Certs().ca_crt));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Outcome anonymous = Handshake(server.value(), Trusting(Certs().ca_crt));
  EXPECT_FALSE(anonymous.ok);
  EXPECT_NE(anonymous.server_error.find("peer did not return a certificate"), std::string::npos)
      << anonymous.server_error;

  TlsClientConfig with_cert = Trusting(Certs().ca_crt);
  with_cert.cert_file = Certs().client_crt;
  with_cert.key_file = Certs().client_key;
  EXPECT_TRUE(Handshake(server.value(), with_cert).ok);

  TlsClientConfig foreign = with_cert;  // a certificate another CA signed
  foreign.cert_file = Certs().other_crt;
  foreign.key_file = Certs().other_key;
  Outcome refused = Handshake(server.value(), foreign);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.server_error, "unable to get local issuer certificate");
}

TEST(TlsContextTest, VersionsAreEnforced) {
  TlsServerConfig only13 = ServerConfig(Certs().server_crt, Certs().server_key);
  only13.min_version = "1.3";
  auto server = NewServerSslContext(only13);
  ASSERT_TRUE(server.ok());
  TlsClientConfig only12 = Trusting(Certs().ca_crt);
  only12.max_version = "1.2";
  Outcome o = Handshake(server.value(), only12);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.server_error.find("unsupported protocol"), std::string::npos) << o.server_error;
  EXPECT_TRUE(Handshake(server.value(), Trusting(Certs().ca_crt)).ok);
}

long Serial(const SslContextPtr& ctx) {
  return ASN1_INTEGER_get(X509_get_serialNumber(SSL_CTX_get0_certificate(ctx.get())));
}

TEST(TlsContextSourceTest, PicksUpARotatedCertificateAndSurvivesABadOne) {
  TestCertificates certs = TestCertificates::Create();
  struct RemovedAtEnd {  // whichever way the test ends
    std::string dir;
    ~RemovedAtEnd() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } removed{certs.dir};
  TlsServerConfig config = ServerConfig(certs.server_crt, certs.server_key);
  config.reload_interval = std::chrono::milliseconds(1);
  std::vector<std::string> errors;
  auto source =
      TlsContextSource::ForServer(config, [&](const std::string& e) { errors.push_back(e); });
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  SslContextPtr first = source.value()->Current();
  long before = Serial(first);

  certs.RotateServerCertificate();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Serial(source.value()->Current()) == before &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  SslContextPtr second = source.value()->Current();
  EXPECT_NE(Serial(second), before);
  EXPECT_TRUE(Handshake(second, Trusting(certs.ca_crt)).ok);
  EXPECT_TRUE(Handshake(first, Trusting(certs.ca_crt)).ok);  // open connections keep theirs

  // A key that does not match: the reload fails, the last good one stays.
  std::rename(certs.other_key.c_str(), certs.server_key.c_str());
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (errors.empty() && std::chrono::steady_clock::now() < deadline) {
    (void)source.value()->Current();  // only the side effect: a reload attempt
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("keeping the previous certificate"), std::string::npos) << errors[0];
  EXPECT_EQ(Serial(source.value()->Current()), Serial(second));
}

}  // namespace
}  // namespace polytrace

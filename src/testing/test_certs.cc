#include "testing/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace polytrace::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificates: ") + what);
}

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by issuer_key (self-signed when issuer is
// null), valid from now+from_s to now+to_s seconds.
X509* Issue(const char* common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
            bool server, long from_s, long to_s) {
  static std::atomic<long> serial{1};
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), from_s);
  X509_gmtime_adj(X509_getm_notAfter(cert), to_s);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert;
  if (ca) {
    AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert, signer, NID_basic_constraints, "CA:FALSE");
    AddExtension(cert, signer, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
    if (server) {
      AddExtension(cert, signer, NID_subject_alt_name,
                   "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
    }
  }
  AddExtension(cert, signer, NID_subject_key_identifier, "hash");
  Check(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

void WriteCert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  Check(f && PEM_write_X509(f, cert) == 1, "write certificate");
  std::fclose(f);
}

void WriteKey(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  Check(f && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
  std::fclose(f);
}

struct Issued {
  X509* cert;
  EVP_PKEY* key;
};

Issued LoadCa(const std::string& crt, const std::string& key_path) {
  FILE* f = std::fopen(crt.c_str(), "r");
  Check(f != nullptr, "open CA");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "r");
  Check(f != nullptr, "open CA key");
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  Check(cert && key, "read CA");
  return {cert, key};
}

constexpr long kDay = 24 * 3600;

void IssueTo(const std::string& crt, const std::string& key_path, const char* cn, Issued ca,
             bool server, long from_s, long to_s) {
  EVP_PKEY* key = NewKey();
  X509* cert = Issue(cn, key, ca.cert, ca.key, false, server, from_s, to_s);
  WriteCert(crt, cert);
  WriteKey(key_path, key);
  X509_free(cert);
  EVP_PKEY_free(key);
}

}  // namespace

TestCertificates TestCertificates::Create() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp ? tmp : "/tmp") + "/polytrace-certs-XXXXXX";
  Check(mkdtemp(templ.data()) != nullptr, "mkdtemp");
  TestCertificates t;
  t.dir = templ;
  auto path = [&](const char* name) { return t.dir + "/" + name; };
  t.ca_crt = path("ca.crt");
  t.server_crt = path("server.crt");
  t.server_key = path("server.key");
  t.client_crt = path("client.crt");
  t.client_key = path("client.key");
  t.expired_crt = path("expired.crt");
  t.expired_key = path("expired.key");
  t.other_ca_crt = path("other-ca.crt");
  t.other_crt = path("other.crt");
  t.other_key = path("other.key");

  for (auto [crt, cn] :
       {std::pair{t.ca_crt, "polytrace test CA"}, std::pair{t.other_ca_crt, "unrelated test CA"}}) {
    EVP_PKEY* key = NewKey();
    X509* cert = Issue(cn, key, nullptr, nullptr, true, false, -kDay, 30 * kDay);
    WriteCert(crt, cert);
    WriteKey(crt.substr(0, crt.size() - 4) + ".key", key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  Issued ca = LoadCa(t.ca_crt, path("ca.key"));
  IssueTo(t.server_crt, t.server_key, "localhost", ca, true, -3600, 30 * kDay);
  IssueTo(t.client_crt, t.client_key, "test client", ca, false, -3600, 30 * kDay);
  IssueTo(t.expired_crt, t.expired_key, "localhost", ca, true, -2 * kDay, -kDay);
  X509_free(ca.cert);
  EVP_PKEY_free(ca.key);
  Issued other = LoadCa(t.other_ca_crt, path("other-ca.key"));
  IssueTo(t.other_crt, t.other_key, "localhost", other, true, -3600, 30 * kDay);
  X509_free(other.cert);
  EVP_PKEY_free(other.key);
  return t;
}

const TestCertificates& TestCertificates::Shared() {
  // Removed when the test process ends: every run left a directory behind.
  static const struct Held {
    TestCertificates certs = Create();
    ~Held() {
      std::error_code ignored;
      std::filesystem::remove_all(certs.dir, ignored);
    }
  } held;
  return held.certs;
}

void TestCertificates::RotateServerCertificate() const {
  Issued ca = LoadCa(ca_crt, dir + "/ca.key");
  // Written aside and renamed, as an operator rotating certificates should.
  IssueTo(server_crt + ".new", server_key + ".new", "localhost", ca, true, -3600, 30 * kDay);
  std::rename((server_key + ".new").c_str(), server_key.c_str());
  std::rename((server_crt + ".new").c_str(), server_crt.c_str());
  X509_free(ca.cert);
  EVP_PKEY_free(ca.key);
}

std::string TestCertificates::Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace polytrace::testing

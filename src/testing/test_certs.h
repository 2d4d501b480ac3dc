// TestCertificates: a throwaway PKI made at test time with OpenSSL — a CA,
// a server certificate for localhost / 127.0.0.1 / ::1, a client
// certificate, an expired server certificate, and a second CA with its own
// server certificate (the "wrong CA" case). Files in a fresh directory.
#pragma once

#include <string>

namespace polytrace::testing {

struct TestCertificates {
  std::string dir;
  std::string ca_crt;  // the CA that signed server, client and expired
  std::string server_crt, server_key;
  std::string client_crt, client_key;
  std::string expired_crt, expired_key;  // valid two days ago to one day ago
  std::string other_ca_crt;              // an unrelated CA ...
  std::string other_crt, other_key;      // ... and a server certificate it signed

  // Writes everything under a new directory in $TMPDIR (the caller removes
  // it); aborts on failure.
  static TestCertificates Create();
  // One set per test process, for tests that only read it; removed at exit.
  static const TestCertificates& Shared();
  // Re-issues the server certificate (same name, new serial and key) in
  // place, e.g. to test reloading.
  void RotateServerCertificate() const;
  static std::string Read(const std::string& path);
};

}  // namespace polytrace::testing

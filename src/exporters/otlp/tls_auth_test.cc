// polytrace -> polytrace over TLS, mutual TLS and bearer tokens: the otlp
// (gRPC) and otlphttp exporters against the otlp receiver, every component
// built from its YAML as in a config file.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "exporters/otlp/otlp_exporter.h"
#include "exporters/otlphttp/otlphttp_exporter.h"
#include "extensions/bearertokenauth/bearer_token_auth.h"
#include "receivers/otlp/factory.h"
#include "receivers/otlp/otlp_receiver.h"
#include "telemetry/logging.h"
#include "testing/kitchen_sink.h"
#include "testing/test_certs.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

using std::chrono::milliseconds;
using testing::TestCertificates;

const TestCertificates& Certs() { return TestCertificates::Shared(); }

template <typename Factory>
ComponentConfigPtr Load(const Factory& factory, const std::string& yaml) {
  auto config = factory.CreateDefaultConfig();
  ConfigReader r(YAML::Load(yaml), "component", "c.yaml");
  Status st = config->Unmarshal(r);
  EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << yaml;
  if (st.ok()) st = config->Validate();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return config;
}

Settings Named(const std::string& type, const std::string& name) {
  Settings s;
  s.id = {type, name};
  s.logger = MakeLogger(type + "/" + name);
  return s;
}

// A host with a bearertokenauth extension named `bearertokenauth/<name>`
// for each token.
class AuthHost : public testing::TestHost {
 public:
  void AddBearer(const std::string& name, const std::string& token) {
    auto factory = NewBearerTokenAuthExtensionFactory();
    auto ext = factory->CreateExtension(Named("bearertokenauth", name),
                                        *Load(*factory, "token: " + token));
    ASSERT_TRUE(ext.ok());
    ASSERT_TRUE((*ext)->Start(*this).ok());
    AddExtension("bearertokenauth/" + name, ext->get());
    owned_.push_back(std::move(*ext));
  }

 private:
  std::vector<ExtensionPtr> owned_;
};

// Both protocols on TLS with client certificates and a bearer token.
std::string ReceiverYaml() {
  std::string protocol = fmt::format(
      "    endpoint: 127.0.0.1:0\n"
      "    tls: {{cert_file: {}, key_file: {}, client_ca_file: {}}}\n"
      "    auth: {{authenticator: bearertokenauth/server}}\n",
      Certs().server_crt, Certs().server_key, Certs().ca_crt);
  return "protocols:\n  grpc:\n" + protocol + "  http:\n" + protocol;
}

struct Collector {
  AuthHost host;
  testing::TracesSink sink;
  ReceiverPtr receiver;
  OtlpReceiver* otlp = nullptr;

  Collector() {
    host.AddBearer("server", "s3cret");
    host.AddBearer("good", "s3cret");
    host.AddBearer("bad", "guess");
    auto factory = NewOtlpReceiverFactory();
    auto r =
        factory->CreateTracesReceiver(Named("otlp", ""), *Load(*factory, ReceiverYaml()), &sink);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    receiver = std::move(*r);
    Status st = receiver->Start(host);
    EXPECT_TRUE(st.ok()) << st.ToString();
    otlp = dynamic_cast<OtlpReceiver*>(receiver.get());
  }
  ~Collector() { receiver->Shutdown(); }
};

std::string ClientTls(const std::string& ca, bool client_cert) {
  std::string out = "tls: {ca_file: " + ca;
  if (client_cert)
    out += ", cert_file: " + Certs().client_crt + ", key_file: " + Certs().client_key;
  return out + "}\n";
}

template <typename Factory>
ExporterPtr StartExporter(const Factory& factory, const std::string& yaml, Host& host,
                          Status* start = nullptr) {
  auto e = factory.CreateTracesExporter(Named(factory.type(), ""), *Load(factory, yaml));
  EXPECT_TRUE(e.ok());
  Status st = (*e)->Start(host);
  if (start != nullptr) *start = st;
  EXPECT_TRUE(st.ok() || start != nullptr) << st.ToString();
  return std::move(*e);
}

std::string GrpcExporterYaml(int port, const std::string& tls, const std::string& auth) {
  return fmt::format(
      "endpoint: 127.0.0.1:{}\n{}auth: {{authenticator: {}}}\nretry_on_failure: {{enabled: "
      "false}}\nsending_queue: {{enabled: false}}\n",
      port, tls, auth);
}

std::string HttpExporterYaml(int port, const std::string& tls, const std::string& auth) {
  return fmt::format(
      "endpoint: https://127.0.0.1:{}\n{}auth: {{authenticator: {}}}\nretry_on_failure: "
      "{{enabled: false}}\nsending_queue: {{enabled: false}}\n",
      port, tls, auth);
}

TEST(TlsAuthTest, GrpcDeliversOverMutualTlsWithTheRightToken) {
  Collector s;
  auto factory = NewOtlpExporterFactory();
  auto exporter =
      StartExporter(*factory,
                    GrpcExporterYaml(s.otlp->grpc_port(), ClientTls(Certs().ca_crt, true),
                                     "bearertokenauth/good"),
                    s.host);
  Status st = exporter->ConsumeTraces(testing::MakeKitchenSinkTraces());
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(s.sink.WaitForSpans(6, milliseconds(10000)));
  exporter->Shutdown();
}

TEST(TlsAuthTest, HttpDeliversOverMutualTlsWithTheRightToken) {
  Collector s;
  auto factory = NewOtlpHttpExporterFactory();
  auto exporter =
      StartExporter(*factory,
                    HttpExporterYaml(s.otlp->http_port(), ClientTls(Certs().ca_crt, true),
                                     "bearertokenauth/good"),
                    s.host);
  Status st = exporter->ConsumeTraces(testing::MakeKitchenSinkTraces());
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(s.sink.WaitForSpans(6, milliseconds(10000)));
  exporter->Shutdown();
}

// Each failure is permanent, names its cause on the exporter's side, and
// delivers nothing.
void ExpectRefused(Exporter& exporter, testing::TracesSink& sink, const std::string& cause) {
  Status st = exporter.ConsumeTraces(testing::MakeKitchenSinkTraces());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(cause), std::string::npos) << st.ToString();
  EXPECT_EQ(sink.SpanCount(), 0u);
}

TEST(TlsAuthTest, WrongTokenWrongCaAndNoClientCertificateAreRefused) {
  Collector s;
  auto grpc = NewOtlpExporterFactory();
  auto http = NewOtlpHttpExporterFactory();
  int g = s.otlp->grpc_port(), h = s.otlp->http_port();
  std::string good_tls = ClientTls(Certs().ca_crt, true);

  auto e = StartExporter(*grpc, GrpcExporterYaml(g, good_tls, "bearertokenauth/bad"), s.host);
  ExpectRefused(*e, s.sink, "scheme or token does not match");
  e->Shutdown();
  e = StartExporter(*http, HttpExporterYaml(h, good_tls, "bearertokenauth/bad"), s.host);
  ExpectRefused(*e, s.sink, "HTTP 401");
  e->Shutdown();

  std::string wrong_ca = ClientTls(Certs().other_ca_crt, true);
  e = StartExporter(*http, HttpExporterYaml(h, wrong_ca, "bearertokenauth/good"), s.host);
  ExpectRefused(*e, s.sink, "certificate verify failed");
  e->Shutdown();
  e = StartExporter(*grpc, GrpcExporterYaml(g, wrong_ca, "bearertokenauth/good"), s.host);
  ExpectRefused(*e, s.sink, "certificate verify failed");
  e->Shutdown();

  std::string no_client_cert = ClientTls(Certs().ca_crt, false);
  e = StartExporter(*http, HttpExporterYaml(h, no_client_cert, "bearertokenauth/good"), s.host);
  ExpectRefused(*e, s.sink, "certificate required");
  e->Shutdown();
}

TEST(TlsAuthTest, AnUnknownAuthenticatorFailsStartWithTheCollectorsWording) {
  Collector s;
  auto http = NewOtlpHttpExporterFactory();
  Status start;
  auto e = StartExporter(
      *http, HttpExporterYaml(s.otlp->http_port(), ClientTls(Certs().ca_crt, true), "oauth2client"),
      s.host, &start);
  ASSERT_FALSE(start.ok());
  EXPECT_NE(start.message().find("failed to resolve authenticator \"oauth2client\""),
            std::string::npos)
      << start.message();
}

// A receiver on server-only TLS whose certificate files live in their own
// directory, re-read every second.
struct RotatingReceiver {
  testing::TestHost host;
  testing::TracesSink sink;
  std::string dir;
  ReceiverPtr receiver;
  OtlpReceiver* otlp = nullptr;

  RotatingReceiver() {
    dir = Certs().dir + "/rotating-" + std::to_string(++instances);
    std::filesystem::create_directories(dir);
    Install(Certs().server_crt, Certs().server_key);
    std::string protocol = fmt::format(
        "    endpoint: 127.0.0.1:0\n"
        "    tls: {{cert_file: {0}/server.crt, key_file: {0}/server.key, reload_interval: 1s}}\n",
        dir);
    auto factory = NewOtlpReceiverFactory();
    auto r = factory->CreateTracesReceiver(
        Named("otlp", ""),
        *Load(*factory, "protocols:\n  grpc:\n" + protocol + "  http:\n" + protocol), &sink);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    receiver = std::move(*r);
    EXPECT_TRUE(receiver->Start(host).ok());
    otlp = dynamic_cast<OtlpReceiver*>(receiver.get());
  }
  ~RotatingReceiver() { receiver->Shutdown(); }
  // Written aside and renamed, key first, as an operator rotating files would.
  void Install(const std::string& crt, const std::string& key) {
    std::filesystem::copy_file(key, dir + "/server.key.new",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(crt, dir + "/server.crt.new",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(dir + "/server.key.new", dir + "/server.key");
    std::filesystem::rename(dir + "/server.crt.new", dir + "/server.crt");
  }
  static inline int instances = 0;
};

// Delivers one batch through a fresh exporter; its status.
template <typename Factory>
Status SendOnce(const Factory& factory, const std::string& yaml, Host& host) {
  auto e = StartExporter(factory, yaml, host);
  Status st = e->ConsumeTraces(testing::MakeKitchenSinkTraces());
  e->Shutdown();
  return st;
}

std::string NoAuth(const std::string& yaml) {
  std::string out = yaml;
  size_t at = out.find("auth: ");
  out.erase(at, out.find('\n', at) - at + 1);
  return out;
}

TEST(TlsAuthTest, RotatedServerCertificatesArePickedUpWithoutARestart) {
  RotatingReceiver r;
  auto grpc = NewOtlpExporterFactory();
  auto http = NewOtlpHttpExporterFactory();
  auto grpc_yaml = [&](const std::string& ca) {
    return NoAuth(GrpcExporterYaml(r.otlp->grpc_port(), ClientTls(ca, false), "x"));
  };
  auto http_yaml = [&](const std::string& ca) {
    return NoAuth(HttpExporterYaml(r.otlp->http_port(), ClientTls(ca, false), "x"));
  };
  ASSERT_TRUE(SendOnce(*grpc, grpc_yaml(Certs().ca_crt), r.host).ok());
  ASSERT_TRUE(SendOnce(*http, http_yaml(Certs().ca_crt), r.host).ok());

  // Now a certificate from another CA: clients trusting only that CA get in
  // once the receiver has re-read its files (within a few seconds).
  r.Install(Certs().other_crt, Certs().other_key);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  bool grpc_ok = false, http_ok = false;
  while (!(grpc_ok && http_ok) && std::chrono::steady_clock::now() < deadline) {
    if (!grpc_ok) grpc_ok = SendOnce(*grpc, grpc_yaml(Certs().other_ca_crt), r.host).ok();
    if (!http_ok) http_ok = SendOnce(*http, http_yaml(Certs().other_ca_crt), r.host).ok();
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_TRUE(grpc_ok);
  EXPECT_TRUE(http_ok);
  EXPECT_FALSE(SendOnce(*http, http_yaml(Certs().ca_crt), r.host).ok());
  EXPECT_TRUE(r.sink.WaitForSpans(4 * 6, milliseconds(5000)));
}

TEST(TlsAuthTest, GrpcSkipVerifyAndServerNameOverride) {
  RotatingReceiver r;
  auto grpc = NewOtlpExporterFactory();
  int port = r.otlp->grpc_port();
  // No CA that signed it: only insecure_skip_verify gets through.
  EXPECT_TRUE(SendOnce(*grpc,
                       NoAuth(GrpcExporterYaml(port, "tls: {insecure_skip_verify: true}\n", "x")),
                       r.host)
                  .ok());
  EXPECT_FALSE(SendOnce(*grpc,
                        NoAuth(GrpcExporterYaml(port, ClientTls(Certs().other_ca_crt, false), "x")),
                        r.host)
                   .ok());
  // The certificate names localhost and 127.0.0.1, not collector.example.com.
  auto with_name = [&](const std::string& name) {
    return NoAuth(GrpcExporterYaml(
        port, "tls: {ca_file: " + Certs().ca_crt + ", server_name_override: " + name + "}\n", "x"));
  };
  EXPECT_TRUE(SendOnce(*grpc, with_name("localhost"), r.host).ok());
  EXPECT_FALSE(SendOnce(*grpc, with_name("collector.example.com"), r.host).ok());
}

}  // namespace
}  // namespace polytrace

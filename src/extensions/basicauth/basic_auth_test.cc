#include "extensions/basicauth/basic_auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/base64.h"
#include "telemetry/logging.h"
#include "testing/test_host.h"

namespace polytrace {
namespace {

namespace fs = std::filesystem;

// `openssl passwd -apr1 -salt Xy1.z/AB secret` and Python's
// crypt.crypt("secret", "$2y$04$0123456789abcdefghijku").
constexpr char kApr1Secret[] = "$apr1$Xy1.z/AB$tYS.VH7hd2m1/tgUGvpt.0";
constexpr char kBcryptSecret[] = "$2y$04$0123456789abcdefghijkug0jfygDNbCc4YKM81lye0HjT.L3552O";

Result<BasicAuthConfig> Parse(const std::string& yaml) {
  BasicAuthConfig c;
  ConfigReader r(YAML::Load(yaml), "extensions.basicauth", "c.yaml");
  POLYTRACE_RETURN_IF_ERROR(c.Unmarshal(r));
  POLYTRACE_RETURN_IF_ERROR(c.Validate());
  return c;
}

Settings TestSettings() {
  Settings s;
  s.id = {"basicauth", ""};
  s.logger = MakeLogger("extension/basicauth-test");
  return s;
}

std::string Basic(const std::string& user_and_password) {
  return "Basic " + Base64Encode(user_and_password);
}

Status Auth(BasicAuthServer& server, const std::string& value) {
  return server.Authenticate(
      {{"content-type", "application/x-protobuf"}, {"authorization", value}});
}

class BasicAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/basicauth_" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Each rewrite also moves the mtime, so it is seen within the filesystem's
  // timestamp granularity.
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << content;
    fs::last_write_time(path, fs::file_time_type::clock::now() + std::chrono::seconds(++writes_));
    return path;
  }
  std::unique_ptr<BasicAuthServer> StartServer(const std::string& yaml) {
    Result<BasicAuthConfig> c = Parse(yaml);
    EXPECT_TRUE(c.ok()) << c.status().message();
    auto server = std::make_unique<BasicAuthServer>(*c->htpasswd);
    Status started = server->Start(host_);
    EXPECT_TRUE(started.ok()) << started.message();
    return server;
  }

  std::string dir_;
  int writes_ = 0;
  testing::TestHost host_;
};

TEST_F(BasicAuthTest, ConfigNeedsExactlyOneMode) {
  EXPECT_EQ(Parse("{}").status().message(), "no credential source provided");
  EXPECT_EQ(Parse("htpasswd: {}").status().message(), "no credential source provided");
  EXPECT_EQ(Parse("htpasswd: {inline: 'a:b'}\nclient_auth: {username: a, password: b}\n")
                .status()
                .message(),
            "only one of `htpasswd` or `client_auth` can be specified");
  EXPECT_TRUE(Parse("client_auth: {username: a, password: b}").ok());
  EXPECT_TRUE(Parse("htpasswd: {file: /x, inline: 'a:b'}").ok());
}

TEST_F(BasicAuthTest, ConfigRefusesUnknownKeysAColonInTheUsernameAndBadInlineLines) {
  EXPECT_FALSE(Parse("htpasswd: {path: /x}").ok());
  EXPECT_FALSE(Parse("client_auth: {user: a}").ok());
  EXPECT_FALSE(Parse("htpasswd: {inline: 'a:b'}\nrealm: x\n").ok());
  EXPECT_EQ(Parse("client_auth: {username: 'a:b', password: c}").status().message(),
            "client_auth.username: invalid authorization format (a username cannot contain ':')");
  Status bad = Parse("htpasswd:\n  inline: |\n    alice:secret\n    bob:$y$j9T$hidden\n").status();
  EXPECT_EQ(bad.message().rfind("htpasswd.inline line 2: user \"bob\": unsupported", 0), 0u)
      << bad.message();
  EXPECT_EQ(bad.message().find("hidden"), std::string::npos);
}

TEST_F(BasicAuthTest, AcceptsFileAndInlineUsersAndInlineWins) {
  std::string file =
      Write("htpasswd", std::string("alice:") + kApr1Secret + "\nbob:old\ncarol:" + kBcryptSecret);
  auto server = StartServer("htpasswd:\n  file: " + file + "\n  inline: |\n    bob:new\n");
  EXPECT_TRUE(Auth(*server, Basic("alice:secret")).ok());
  EXPECT_TRUE(Auth(*server, Basic("bob:new")).ok());
  EXPECT_FALSE(Auth(*server, Basic("bob:old")).ok());
  EXPECT_TRUE(Auth(*server, Basic("carol:secret")).ok());
  EXPECT_EQ(server->Challenge(), "Basic realm=\"otel\"");
}

TEST_F(BasicAuthTest, RefusesWrongCredentialsWithoutEchoingThem) {
  auto server = StartServer("htpasswd: {inline: 'alice:topsecret'}");
  for (const char* pair : {"alice:wrongpass", "alice:topsecre", "mallory:topsecret", "alice:"}) {
    Status st = Auth(*server, Basic(pair));
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << pair;
    EXPECT_EQ(st.message(), "invalid credentials") << pair;
  }
}

TEST_F(BasicAuthTest, RefusesMissingAndMalformedHeadersWithTheCollectorsMessages) {
  auto server = StartServer("htpasswd: {inline: 'alice:topsecret'}");
  EXPECT_EQ(server->Authenticate({}).message(), "no basic auth provided");
  EXPECT_EQ(Auth(*server, "").message(), "no basic auth provided");
  EXPECT_EQ(Auth(*server, "Bearer abc").message(), "invalid authorization scheme prefix");
  EXPECT_EQ(Auth(*server, "Basic").message(), "invalid authorization scheme prefix");
  EXPECT_EQ(Auth(*server, "Basic !!!!").message(), "invalid authorization format");
  EXPECT_EQ(Auth(*server, Basic("alicetopsecret")).message(), "invalid authorization format");
  // The scheme is case-insensitive, as in the Collector.
  EXPECT_TRUE(Auth(*server, "bAsIc " + Base64Encode("alice:topsecret")).ok());
  for (const std::string& value : {std::string("Bearer abc"), Basic("alicetopsecret")}) {
    EXPECT_EQ(Auth(*server, value).message().find("topsecret"), std::string::npos);
  }
}

TEST_F(BasicAuthTest, ASlowHashStaysCorrectAcrossTheCache) {
  auto server = StartServer(std::string("htpasswd: {inline: 'carol:") + kBcryptSecret + "'}");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Auth(*server, Basic("carol:secret")).ok());
    EXPECT_FALSE(Auth(*server, Basic("carol:secreT")).ok());
    EXPECT_FALSE(Auth(*server, Basic("carol:secret ")).ok());
  }
}

TEST_F(BasicAuthTest, StartFailsOnAMissingFileOrABadLine) {
  Result<BasicAuthConfig> missing = Parse("htpasswd: {file: " + dir_ + "/absent}");
  ASSERT_TRUE(missing.ok());
  Status st = BasicAuthServer(*missing->htpasswd).Start(host_);
  EXPECT_EQ(st.message().rfind("open htpasswd file: ", 0), 0u) << st.message();

  std::string file = Write("htpasswd", "alice:secret\nbob:{SHA}short\n");
  Result<BasicAuthConfig> bad = Parse("htpasswd: {file: " + file + "}");
  ASSERT_TRUE(bad.ok());
  st = BasicAuthServer(*bad->htpasswd).Start(host_);
  EXPECT_EQ(st.message(), "read htpasswd content: htpasswd file \"" + file +
                              "\" line 2: user \"bob\": malformed {SHA} hash");
}

TEST_F(BasicAuthTest, ClientSendsBasicCredentialsTheServerAccepts) {
  Result<BasicAuthConfig> c = Parse("client_auth: {username: username, password: password}");
  ASSERT_TRUE(c.ok());
  BasicAuthClient client(TestSettings(), *c->client_auth);
  ASSERT_TRUE(client.Start(host_).ok());
  Result<AuthHeaders> headers = client.RequestHeaders();
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(headers.value(), (AuthHeaders{{"authorization", "Basic dXNlcm5hbWU6cGFzc3dvcmQ="}}));

  auto server = StartServer("htpasswd: {inline: 'username:password'}");
  EXPECT_TRUE(server->Authenticate(headers.value()).ok());
}

TEST_F(BasicAuthTest, ClientReadsCredentialFilesAndPicksUpARotation) {
  std::string user_file = Write("user", "alice\n");
  std::string password_file = Write("password", " first \n");
  Result<BasicAuthConfig> c = Parse("client_auth: {username: ignored, username_file: " + user_file +
                                    ", password_file: " + password_file + "}");
  ASSERT_TRUE(c.ok());
  BasicAuthClient client(TestSettings(), *c->client_auth, std::chrono::milliseconds(50));
  ASSERT_TRUE(client.Start(host_).ok());
  EXPECT_EQ(client.RequestHeaders().value().at(0).second, Basic("alice:first"));

  Write("password", "second\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (client.RequestHeaders().value().at(0).second != Basic("alice:second") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(client.RequestHeaders().value().at(0).second, Basic("alice:second"));

  Write("user", "a:b\n");
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (client.RequestHeaders().ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(client.RequestHeaders().status().message(), "invalid authorization format");
}

TEST_F(BasicAuthTest, ClientStartFailsOnAMissingCredentialFile) {
  Result<BasicAuthConfig> c = Parse("client_auth: {password_file: " + dir_ + "/absent}");
  ASSERT_TRUE(c.ok());
  BasicAuthClient client(TestSettings(), *c->client_auth);
  Status st = client.Start(host_);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(dir_ + "/absent"), std::string::npos) << st.message();
}

TEST_F(BasicAuthTest, FactoryBuildsAServerOrAClientNeverBoth) {
  auto factory = NewBasicAuthExtensionFactory();
  EXPECT_EQ(factory->type(), "basicauth");
  auto build = [&](const std::string& yaml) {
    ComponentConfigPtr config = factory->CreateDefaultConfig();
    ConfigReader r(YAML::Load(yaml), "extensions.basicauth", "c.yaml");
    EXPECT_TRUE(config->Unmarshal(r).ok());
    EXPECT_TRUE(config->Validate().ok());
    return std::move(factory->CreateExtension(TestSettings(), *config).value());
  };
  ExtensionPtr server = build("htpasswd: {inline: 'a:b'}");
  ExtensionPtr client = build("client_auth: {username: a, password: b}");
  host_.AddExtension("basicauth/server", server.get());
  host_.AddExtension("basicauth/client", client.get());
  EXPECT_TRUE(ResolveServerAuthenticator(host_, "basicauth/server").ok());
  EXPECT_TRUE(ResolveClientAuthenticator(host_, "basicauth/client").ok());
  EXPECT_EQ(ResolveClientAuthenticator(host_, "basicauth/server").status().message(),
            "failed to resolve authenticator \"basicauth/server\": extension is not a client "
            "authenticator");
  EXPECT_FALSE(ResolveServerAuthenticator(host_, "basicauth/client").ok());
}

}  // namespace
}  // namespace polytrace

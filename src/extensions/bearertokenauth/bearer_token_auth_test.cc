#include "extensions/bearertokenauth/bearer_token_auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "telemetry/logging.h"
#include "testing/test_host.h"

namespace polytrace {
namespace {

namespace fs = std::filesystem;

Result<BearerTokenAuthConfig> Parse(const std::string& yaml) {
  BearerTokenAuthConfig c;
  ConfigReader r(YAML::Load(yaml), "extensions.bearertokenauth", "c.yaml");
  POLYTRACE_RETURN_IF_ERROR(c.Unmarshal(r));
  POLYTRACE_RETURN_IF_ERROR(c.Validate());
  return c;
}

std::unique_ptr<BearerTokenAuth> Make(const std::string& yaml,
                                      std::chrono::nanoseconds interval = std::chrono::seconds(1)) {
  Result<BearerTokenAuthConfig> c = Parse(yaml);
  EXPECT_TRUE(c.ok()) << c.status().message();
  Settings s;
  s.id = {"bearertokenauth", ""};
  s.logger = MakeLogger("extension/bearertokenauth-test");
  return std::make_unique<BearerTokenAuth>(s, c.value(), interval);
}

Status Auth(BearerTokenAuth& auth, const std::string& value) {
  return auth.Authenticate({{"content-type", "application/x-protobuf"}, {"authorization", value}});
}

TEST(BearerTokenAuthConfigTest, DefaultsAreTheCollectors) {
  BearerTokenAuthConfig c;
  EXPECT_EQ(c.header, "Authorization");
  EXPECT_EQ(c.scheme, "Bearer");
  EXPECT_EQ(c.Validate().message(), "no bearer token provided");
}

TEST(BearerTokenAuthConfigTest, RefusesTokenAndTokensTogether) {
  Result<BearerTokenAuthConfig> c = Parse("token: a\ntokens: [b]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "either tokens or token should be provided, not both");
}

TEST(BearerTokenAuthConfigTest, RefusesUnknownKeysAndEmptyValues) {
  EXPECT_FALSE(Parse("token: a\ntoken_file: b\n").ok());
  EXPECT_EQ(Parse("tokens: [a, '']\n").status().message(), "tokens[1] is empty");
  EXPECT_EQ(Parse("token: a\nheader: ''\n").status().message(), "header must not be empty");
}

TEST(BearerTokenAuthTest, AcceptsTheConfiguredToken) {
  auto auth = Make("token: s3cret\n");
  EXPECT_TRUE(Auth(*auth, "Bearer s3cret").ok());
}

TEST(BearerTokenAuthTest, RefusesAWrongTokenWithoutEchoingIt) {
  auto auth = Make("token: s3cret\n");
  for (const char* wrong : {"Bearer s3cre", "Bearer s3cret2", "Bearer S3CRET", "s3cret"}) {
    Status st = Auth(*auth, wrong);
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << wrong;
    EXPECT_EQ(st.message(), "scheme or token does not match") << wrong;
  }
}

TEST(BearerTokenAuthTest, RefusesASchemeMismatch) {
  auto auth = Make("token: s3cret\n");
  EXPECT_EQ(Auth(*auth, "Basic s3cret").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Auth(*auth, "Bearers3cret").code(), StatusCode::kUnauthenticated);
}

TEST(BearerTokenAuthTest, RefusesAMissingOrEmptyHeader) {
  auto auth = Make("token: s3cret\n");
  Status missing = auth->Authenticate({{"content-type", "application/json"}});
  EXPECT_EQ(missing.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(missing.message(), "missing or empty authorization header: Authorization");
  EXPECT_EQ(Auth(*auth, "").message(), "missing or empty authorization header: Authorization");
}

TEST(BearerTokenAuthTest, ClientSendsTheSchemeAndToken) {
  auto auth = Make("token: s3cret\n");
  Result<AuthHeaders> headers = auth->RequestHeaders();
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(headers.value(), (AuthHeaders{{"authorization", "Bearer s3cret"}}));
  EXPECT_EQ(auth->Challenge(), "Bearer");
}

TEST(BearerTokenAuthTest, CustomHeaderAndEmptyScheme) {
  auto auth = Make("header: X-API-Key\nscheme: ''\ntoken: s3cret\n");
  EXPECT_EQ(auth->RequestHeaders().value(), (AuthHeaders{{"x-api-key", "s3cret"}}));
  EXPECT_TRUE(auth->Authenticate({{"x-api-key", "s3cret"}}).ok());
  EXPECT_EQ(auth->Authenticate({{"authorization", "s3cret"}}).message(),
            "missing or empty authorization header: X-API-Key");
}

TEST(BearerTokenAuthTest, AcceptsAnyOfSeveralTokensAndSendsTheFirst) {
  auto auth = Make("scheme: Token\ntokens: [one, two]\n");
  EXPECT_TRUE(Auth(*auth, "Token one").ok());
  EXPECT_TRUE(Auth(*auth, "Token two").ok());
  EXPECT_FALSE(Auth(*auth, "Token three").ok());
  EXPECT_FALSE(Auth(*auth, "Bearer one").ok());
  EXPECT_EQ(auth->RequestHeaders().value(), (AuthHeaders{{"authorization", "Token one"}}));
  EXPECT_EQ(auth->Challenge(), "Token");
}

TEST(BearerTokenAuthTest, ResolvesAsBothServerAndClientAuthenticator) {
  auto auth = Make("token: s3cret\n");
  testing::TestHost host;
  host.AddExtension("bearertokenauth", auth.get());
  Result<ServerAuthenticator*> server = ResolveServerAuthenticator(host, "bearertokenauth");
  Result<ClientAuthenticator*> client = ResolveClientAuthenticator(host, "bearertokenauth");
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(server.value()->Authenticate({{"authorization", "Bearer s3cret"}}).ok());
  EXPECT_EQ(client.value()->RequestHeaders().value().at(0).second, "Bearer s3cret");
}

TEST(BearerTokenAuthTest, FactoryBuildsFromTheDefaultConfig) {
  auto factory = NewBearerTokenAuthExtensionFactory();
  EXPECT_EQ(factory->type(), "bearertokenauth");
  ComponentConfigPtr config = factory->CreateDefaultConfig();
  ConfigReader r(YAML::Load("token: s3cret\n"), "extensions.bearertokenauth", "c.yaml");
  ASSERT_TRUE(config->Unmarshal(r).ok());
  Settings s;
  s.logger = MakeLogger("extension/bearertokenauth-test");
  Result<ExtensionPtr> extension = factory->CreateExtension(s, *config);
  ASSERT_TRUE(extension.ok());
  auto* server = dynamic_cast<ServerAuthenticator*>(extension.value().get());
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->Authenticate({{"authorization", "Bearer s3cret"}}).ok());
}

class BearerTokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/bearertokenauth_" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ + "/token";
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Each rewrite also moves the mtime, so it is seen within the filesystem's
  // timestamp granularity.
  void Write(const std::string& content) {
    std::ofstream(path_, std::ios::trunc) << content;
    fs::last_write_time(path_, fs::file_time_type::clock::now() + std::chrono::seconds(++writes_));
  }
  std::string dir_, path_;
  int writes_ = 0;
};

TEST_F(BearerTokenFileTest, ReadsATrimmedTokenAndPicksUpARotation) {
  Write("  first-token \n");
  auto auth = Make("filename: " + path_ + "\n", std::chrono::milliseconds(50));
  testing::TestHost host;
  ASSERT_TRUE(auth->Start(host).ok());
  EXPECT_TRUE(Auth(*auth, "Bearer first-token").ok());
  EXPECT_EQ(auth->RequestHeaders().value().at(0).second, "Bearer first-token");

  Write("second-token\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!Auth(*auth, "Bearer second-token").ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(Auth(*auth, "Bearer second-token").ok());
  EXPECT_FALSE(Auth(*auth, "Bearer first-token").ok());
  EXPECT_EQ(auth->RequestHeaders().value().at(0).second, "Bearer second-token");
  auth->Shutdown();
  auth->Shutdown();
}

TEST_F(BearerTokenFileTest, OneTokenPerLineAndTheFileWinsOverToken) {
  Write("one\n\n  two\r\n");
  auto auth = Make("token: ignored\nfilename: " + path_ + "\n", std::chrono::milliseconds(0));
  testing::TestHost host;
  ASSERT_TRUE(auth->Start(host).ok());
  EXPECT_TRUE(Auth(*auth, "Bearer one").ok());
  EXPECT_TRUE(Auth(*auth, "Bearer two").ok());
  EXPECT_FALSE(Auth(*auth, "Bearer ignored").ok());
  EXPECT_FALSE(Auth(*auth, "Bearer ").ok());
  EXPECT_FALSE(Auth(*auth, "Bearer").ok());
}

TEST_F(BearerTokenFileTest, KeepsTheLastTokenWhenTheFileIsEmptied) {
  Write("one\n");
  auto auth = Make("filename: " + path_ + "\n", std::chrono::milliseconds(0));
  testing::TestHost host;
  ASSERT_TRUE(auth->Start(host).ok());
  Write("\n");
  EXPECT_TRUE(Auth(*auth, "Bearer one").ok());
  EXPECT_FALSE(Auth(*auth, "Bearer ").ok());
}

TEST_F(BearerTokenFileTest, StartFailsOnAMissingOrEmptyFile) {
  testing::TestHost host;
  Status missing = Make("filename: " + path_ + "\n")->Start(host);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(path_), std::string::npos) << missing.message();
  Write(" \n");
  Status empty = Make("filename: " + path_ + "\n")->Start(host);
  EXPECT_FALSE(empty.ok());
  EXPECT_NE(empty.message().find("holds no token"), std::string::npos) << empty.message();
}

}  // namespace
}  // namespace polytrace

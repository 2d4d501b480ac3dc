#include "config/config_reader.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

ConfigReader Load(const std::string& yaml) {
  return ConfigReader(YAML::Load(yaml), "processors.batch", "config.yaml");
}

TEST(ConfigReaderTest, ReadsTypedValuesAndKeepsDefaults) {
  ConfigReader r = Load("timeout: 5s\nsend_batch_size: 512\n");
  std::chrono::nanoseconds timeout{200'000'000};
  uint32_t size = 8192, max = 0;
  ASSERT_TRUE(r.Read("timeout", &timeout).ok());
  ASSERT_TRUE(r.Read("send_batch_size", &size).ok());
  ASSERT_TRUE(r.Read("send_batch_max_size", &max).ok());
  EXPECT_EQ(timeout, std::chrono::seconds(5));
  EXPECT_EQ(size, 512u);
  EXPECT_EQ(max, 0u);
  EXPECT_TRUE(r.Finish().ok());
}

TEST(ConfigReaderTest, UnknownKeyNamesFileLineAndPath) {
  ConfigReader r = Load("timeout: 5s\nsend_batch_sise: 512\n");
  std::chrono::nanoseconds timeout;
  ASSERT_TRUE(r.Read("timeout", &timeout).ok());
  Status st = r.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "config.yaml:2:1: processors.batch.send_batch_sise: unknown key \"send_batch_sise\"");
}

TEST(ConfigReaderTest, WrongTypeNamesTheValue) {
  ConfigReader r = Load("send_batch_size: lots\n");
  uint32_t size = 0;
  Status st = r.Read("send_batch_size", &size);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "config.yaml:1:18: processors.batch.send_batch_size: cannot parse \"lots\" as a "
            "non-negative integer");
}

TEST(ConfigReaderTest, BadDurationIsExplained) {
  ConfigReader r = Load("timeout: 5x\n");
  std::chrono::nanoseconds timeout;
  Status st = r.Read("timeout", &timeout);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot parse \"5x\" as a duration"), std::string::npos);
}

TEST(ConfigReaderTest, NullSectionReadsAsEmpty) {
  ConfigReader r(YAML::Load("protocols:\n  grpc:\n"), "receivers.otlp", "c.yaml");
  Result<ConfigReader> protocols = r.Child("protocols");
  ASSERT_TRUE(protocols.ok());
  bool present = false;
  Result<ConfigReader> grpc = protocols->Child("grpc", &present);
  ASSERT_TRUE(grpc.ok());
  EXPECT_TRUE(present);
  EXPECT_EQ(grpc->path(), "receivers.otlp.protocols.grpc");
  EXPECT_TRUE(grpc->Finish().ok());
}

// Found by fuzzing the query API: `lookback=888...` made stoll throw.
TEST(ParseGoDurationTest, IntegersOutOfRangeAreRefusedNotThrown) {
  EXPECT_FALSE(ParseGoDuration("88888888888888888888888888888888").has_value());
  EXPECT_EQ(*ParseGoDuration("9223372036854775807"), std::chrono::nanoseconds(INT64_MAX));
}

TEST(ParseGoDurationTest, AcceptsGoSyntax) {
  EXPECT_EQ(*ParseGoDuration("200ms"), std::chrono::milliseconds(200));
  EXPECT_EQ(*ParseGoDuration("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseGoDuration("1.5h"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseGoDuration("0"), std::chrono::nanoseconds(0));
  EXPECT_EQ(*ParseGoDuration("1000"), std::chrono::nanoseconds(1000));
  EXPECT_FALSE(ParseGoDuration("s").has_value());
  EXPECT_FALSE(ParseGoDuration("5 seconds").has_value());
}

}  // namespace
}  // namespace polytrace

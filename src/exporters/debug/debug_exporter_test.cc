#include "exporters/debug/debug_exporter.h"

#include <gtest/gtest.h>

#include "testing/kitchen_sink.h"

namespace polytrace {
namespace {

TEST(DebugExporterTest, DetailedShowsEveryPart) {
  std::string text = DebugExporter::Detailed(testing::MakeKitchenSinkTraces());
  EXPECT_NE(text.find("-> service.name: kitchen-sink"), std::string::npos);
  EXPECT_NE(text.find("Trace ID       : a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"), std::string::npos);
  EXPECT_NE(text.find("Event #0: exception"), std::string::npos);
  EXPECT_NE(text.find("InstrumentationScope io.polytrace.test 1.2.3"), std::string::npos);
}

TEST(DebugExporterTest, UnknownVerbosityIsInvalid) {
  DebugConfig c;
  ConfigReader r(YAML::Load("verbosity: loud\n"), "exporters.debug", "c.yaml");
  ASSERT_TRUE(c.Unmarshal(r).ok());
  EXPECT_FALSE(c.Validate().ok());
}

}  // namespace
}  // namespace polytrace

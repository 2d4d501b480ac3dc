#include "exporters/file/file_exporter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "otlp/json_codec.h"
#include "telemetry/logging.h"
#include "testing/kitchen_sink.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<FileExporter> Make(const std::string& yaml, testing::TestHost& host) {
  FileExporterConfig c;
  ConfigReader r(YAML::Load(yaml), "exporters.file", "c.yaml");
  EXPECT_TRUE(c.Unmarshal(r).ok());
  EXPECT_TRUE(c.Validate().ok());
  Settings s;
  s.id = {"file", ""};
  s.logger = MakeLogger("exporter/file-test");
  auto e = std::make_unique<FileExporter>(s, c);
  EXPECT_TRUE(e->Start(host).ok());
  return e;
}

TEST(FileExporterTest, WritesOneJsonRequestPerLineReadableBack) {
  std::string dir = ::testing::TempDir() + "/fe_" + std::to_string(::getpid());
  fs::remove_all(dir);
  testing::TestHost host;
  auto e = Make("path: " + dir + "/out.jsonl\n", host);
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeKitchenSinkTraces()).ok());
  ASSERT_TRUE(e->ConsumeTraces(testing::MakeTraces("b", 2)).ok());
  std::ifstream in(dir + "/out.jsonl");
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  Traces back;
  ASSERT_TRUE(otlp::DecodeTracesJson(lines[0], &back).ok());
  EXPECT_EQ(otlp::EncodeTracesJson(back), otlp::EncodeTracesJson(testing::MakeKitchenSinkTraces()));
  e->Shutdown();
  fs::remove_all(dir);
}

TEST(FileExporterTest, RotatesAndKeepsMaxBackups) {
  std::string dir = ::testing::TempDir() + "/fr_" + std::to_string(::getpid());
  fs::remove_all(dir);
  testing::TestHost host;
  auto e =
      Make("path: " + dir + "/t.json\nrotation:\n  max_megabytes: 1\n  max_backups: 2\n", host);
  Traces big = testing::MakeTraces("svc", 3000);  // ~0.5 MB of JSON per batch
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(e->ConsumeTraces(big.Clone()).ok());
  e->Shutdown();
  size_t backups = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().filename() != "t.json") ++backups;
  }
  EXPECT_EQ(backups, 2u);
  EXPECT_LT(fs::file_size(dir + "/t.json"), 2u << 20);
  fs::remove_all(dir);
}

TEST(FileExporterTest, PathIsRequired) {
  FileExporterConfig c;
  Status st = c.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"path\" must be set"), std::string::npos);
}

}  // namespace
}  // namespace polytrace

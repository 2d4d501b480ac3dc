#include "extensions/internal/reloading_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace polytrace {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The current value, or "<error: ...>".
std::string Value(ReloadingFile<std::string>& file) {
  Result<std::shared_ptr<const std::string>> value = file.Get();
  return value.ok() ? **value : "<error: " + value.status().message() + ">";
}

class ReloadingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/reloading_file_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes the file and moves its mtime `age_s` seconds away, so a rewrite is
  // seen even within the filesystem's timestamp granularity.
  void Write(const std::string& path, const std::string& content, int age_s = 0) {
    std::ofstream(path, std::ios::trunc) << content;
    fs::last_write_time(path, fs::file_time_type::clock::now() + std::chrono::seconds(age_s));
  }

  static Result<std::string> Trimmed(const std::string& content) {
    if (content == "bad") return Status::InvalidArgument("bad content");
    return TrimAsciiSpace(content);
  }

  std::string dir_;
};

TEST_F(ReloadingFileTest, LoadsAndParses) {
  Write(dir_ + "/t", "  one\n");
  ReloadingFile<std::string> file(dir_ + "/t", Trimmed);
  ASSERT_TRUE(file.Load().ok());
  EXPECT_EQ(Value(file), "one");
}

TEST_F(ReloadingFileTest, MissingFileIsAnErrorNamingThePath) {
  ReloadingFile<std::string> file(dir_ + "/absent", Trimmed);
  Status st = file.Load();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(dir_ + "/absent"), std::string::npos);
  EXPECT_FALSE(file.Get().ok());
}

TEST_F(ReloadingFileTest, PicksUpARewrittenFile) {
  Write(dir_ + "/t", "one");
  ReloadingFile<std::string> file(dir_ + "/t", Trimmed, milliseconds(0));
  ASSERT_TRUE(file.Load().ok());
  Write(dir_ + "/t", "two", 10);
  EXPECT_EQ(Value(file), "two");
}

TEST_F(ReloadingFileTest, FollowsASymlinkSwap) {
  Write(dir_ + "/a", "one");
  Write(dir_ + "/b", "two");
  fs::create_symlink(dir_ + "/a", dir_ + "/link");
  ReloadingFile<std::string> file(dir_ + "/link", Trimmed, milliseconds(0));
  ASSERT_TRUE(file.Load().ok());
  // What Kubernetes does for a mounted secret: a new link renamed over the old.
  fs::create_symlink(dir_ + "/b", dir_ + "/link.new");
  fs::rename(dir_ + "/link.new", dir_ + "/link");
  EXPECT_EQ(Value(file), "two");
}

TEST_F(ReloadingFileTest, KeepsThePreviousValueWhenAReloadFails) {
  Write(dir_ + "/t", "one");
  std::vector<std::string> errors;
  ReloadingFile<std::string> file(dir_ + "/t", Trimmed, milliseconds(0),
                                  [&](const std::string& m) { errors.push_back(m); });
  ASSERT_TRUE(file.Load().ok());
  Write(dir_ + "/t", "bad", 10);
  EXPECT_EQ(Value(file), "one");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("bad content"), std::string::npos);
  fs::remove(dir_ + "/t");
  EXPECT_EQ(Value(file), "one");
  Write(dir_ + "/t", "three", 20);
  EXPECT_EQ(Value(file), "three");
}

TEST_F(ReloadingFileTest, ChecksAtMostOncePerInterval) {
  Write(dir_ + "/t", "one");
  ReloadingFile<std::string> file(dir_ + "/t", Trimmed, std::chrono::hours(1));
  ASSERT_TRUE(file.Load().ok());
  Write(dir_ + "/t", "two", 10);
  EXPECT_EQ(Value(file), "one");
}

TEST_F(ReloadingFileTest, PicksUpAChangeWithinTheCheckInterval) {
  Write(dir_ + "/t", "one");
  ReloadingFile<std::string> file(dir_ + "/t", Trimmed, milliseconds(100));
  ASSERT_TRUE(file.Load().ok());
  Write(dir_ + "/t", "two", 10);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Value(file) != "two" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(Value(file), "two");
}

TEST(TrimAsciiSpaceTest, TrimsBothEnds) {
  EXPECT_EQ(TrimAsciiSpace(" \t a b\r\n"), "a b");
  EXPECT_EQ(TrimAsciiSpace(" \n"), "");
  EXPECT_EQ(TrimAsciiSpace(""), "");
}

}  // namespace
}  // namespace polytrace

#include "store/wal/wal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "store/format/file_util.h"

namespace polytrace::store {
namespace {

class WalTest : public ::testing::TestWithParam<FsyncPolicy> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wal_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(uint64_t seq) const { return (dir_ / WalFileName(seq)).string(); }

  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

TEST_P(WalTest, ConcurrentAppendsAreAllReadBack) {
  auto wal = WalWriter::Open({dir_.string(), GetParam(), std::chrono::milliseconds(5)}, 1);
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE((*wal)->Append("t" + std::to_string(t) + "-" + std::to_string(i)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  (*wal)->Close();
  auto contents = ReadWalFile(Path(1), false);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->records.size(), 800u);
  EXPECT_TRUE(contents->damage.empty());
}

TEST_P(WalTest, RotateStartsTheNextFile) {
  auto wal = WalWriter::Open({dir_.string(), GetParam()}, 7);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Append("a").ok());
  ASSERT_TRUE((*wal)->Rotate().ok());
  ASSERT_TRUE((*wal)->Append("b").ok());
  (*wal)->Close();
  EXPECT_EQ(ListWalFiles(dir_.string()), (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ(ReadWalFile(Path(8), false)->records, std::vector<std::string>{"b"});
}

INSTANTIATE_TEST_SUITE_P(Policies, WalTest,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kInterval,
                                           FsyncPolicy::kNever));

class WalIntervalTest : public WalTest {
 protected:
  static bool WaitForSyncs(WalWriter& wal, uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (wal.interval_syncs() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
};

// `fsync: interval` syncs an interval after the first write, taking in
// what is written meanwhile, and sleeps with no timer while nothing is.
TEST_F(WalIntervalTest, SyncsOnceAnIntervalWhileWritingAndNeverWhileIdle) {
  constexpr auto kInterval = std::chrono::milliseconds(400);
  auto wal = WalWriter::Open({dir_.string(), FsyncPolicy::kInterval, kInterval}, 1);
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*wal)->Append("r" + std::to_string(i)).ok());
  // Checked only when the appends took less than an interval (a stalled
  // machine could make the first sync due before they end).
  bool within_interval = std::chrono::steady_clock::now() - start < kInterval;
  if (within_interval) {
    EXPECT_EQ((*wal)->interval_syncs(), 0u);  // not due yet
  }
  ASSERT_TRUE(WaitForSyncs(**wal, 1));
  if (within_interval) {
    EXPECT_EQ((*wal)->interval_syncs(), 1u);  // one for all 100
  }

  // Idle for five intervals: at most one more sync, for records written
  // after the first one when the appends outlasted an interval on a
  // loaded machine (a periodic sync makes four or five).
  uint64_t before_idle = (*wal)->interval_syncs();
  std::this_thread::sleep_for(5 * kInterval);
  uint64_t after_idle = (*wal)->interval_syncs();
  EXPECT_LE(after_idle - before_idle, 1u);

  ASSERT_TRUE((*wal)->Append("later").ok());
  EXPECT_TRUE(WaitForSyncs(**wal, after_idle + 1));  // a write after idle is synced in its turn
  (*wal)->Close();
  EXPECT_EQ(ReadWalFile(Path(1), false)->records.size(), 101u);
}

class WalDamageTest : public WalTest {};

TEST_F(WalDamageTest, TornTailIsReportedAndTruncated) {
  {
    auto wal = WalWriter::Open({dir_.string(), FsyncPolicy::kNever}, 1);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append("first record").ok());
    ASSERT_TRUE((*wal)->Append("second record").ok());
  }
  uint64_t size = std::filesystem::file_size(Path(1));
  ASSERT_TRUE(TruncateFile(Path(1), size - 3).ok());  // a crash mid-write
  auto contents = ReadWalFile(Path(1), true);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->records, std::vector<std::string>{"first record"});
  EXPECT_NE(contents->damage.find("torn record at byte"), std::string::npos) << contents->damage;
  EXPECT_EQ(std::filesystem::file_size(Path(1)), contents->valid_bytes);
  auto again = ReadWalFile(Path(1), false);
  EXPECT_TRUE(again->damage.empty());
  EXPECT_EQ(again->records.size(), 1u);
}

TEST_F(WalDamageTest, FlippedBitIsAChecksumMismatch) {
  {
    auto wal = WalWriter::Open({dir_.string(), FsyncPolicy::kNever}, 1);
    ASSERT_TRUE((*wal)->Append("first record").ok());
    ASSERT_TRUE((*wal)->Append("second record").ok());
  }
  std::fstream f(Path(1), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(8 + 8 + 2);  // inside the first record's payload
  f.put('X');
  f.close();
  auto contents = ReadWalFile(Path(1), false);
  ASSERT_TRUE(contents.ok());
  EXPECT_TRUE(contents->records.empty());
  EXPECT_NE(contents->damage.find("checksum mismatch in record at byte 8"), std::string::npos)
      << contents->damage;
}

}  // namespace
}  // namespace polytrace::store

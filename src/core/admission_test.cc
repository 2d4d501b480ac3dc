#include "core/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace polytrace {
namespace {

constexpr uint64_t kMiB = 1 << 20;

TEST(AdmissionGateTest, WithoutALimitEverythingIsAdmitted) {
  AdmissionGate gate;
  Result<AdmissionGate::Ticket> t = gate.Admit(uint64_t{1} << 40);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(gate.in_flight(), 0u);
}

TEST(AdmissionGateTest, AdmitsWhatFitsAndReleasesOnDestruction) {
  AdmissionGate gate;
  gate.SetLimit(100 * kMiB);
  gate.SetUsage(30 * kMiB);
  {
    auto a = gate.Admit(40 * kMiB);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(gate.in_flight(), 40 * kMiB);
    auto b = gate.Admit(40 * kMiB);  // 30 + 40 + 40 > 100
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kResourceExhausted);
    EXPECT_TRUE(b.status().retry_after().has_value());
    EXPECT_NE(b.status().message().find("soft limit of 100 MiB"), std::string::npos)
        << b.status().message();
    EXPECT_EQ(gate.in_flight(), 40 * kMiB);  // a refusal holds nothing
    AdmissionGate::Ticket moved = std::move(*a);
    EXPECT_EQ(gate.in_flight(), 40 * kMiB);
  }
  EXPECT_EQ(gate.in_flight(), 0u);
  EXPECT_TRUE(gate.Admit(60 * kMiB).ok());
}

TEST(AdmissionGateTest, ARequestLargerThanTheLimitNeverFits) {
  AdmissionGate gate;
  gate.SetLimit(100 * kMiB);
  auto t = gate.Admit(101 * kMiB);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

TEST(AdmissionGateTest, TheLowestLimitWins) {
  AdmissionGate gate;
  gate.SetLimit(200 * kMiB);
  gate.SetLimit(100 * kMiB);
  gate.SetLimit(300 * kMiB);
  EXPECT_FALSE(gate.Admit(150 * kMiB).ok());
}

// Concurrent maximum-size requests: the sum admitted never passes the limit.
TEST(AdmissionGateTest, ConcurrentAdmissionsNeverOvercommit) {
  AdmissionGate gate;
  gate.SetLimit(100 * kMiB);
  std::atomic<uint64_t> held{0}, peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto ticket = gate.Admit(30 * kMiB);
        if (!ticket.ok()) continue;
        uint64_t now = held.fetch_add(30 * kMiB) + 30 * kMiB;
        uint64_t p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        held.fetch_sub(30 * kMiB);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 100 * kMiB);
  EXPECT_GE(peak.load(), 30 * kMiB);
  EXPECT_EQ(gate.in_flight(), 0u);
}

}  // namespace
}  // namespace polytrace

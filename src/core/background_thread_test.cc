#include "core/background_thread.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <thread>

namespace polytrace {
namespace {

int PolicyOf(pthread_t thread) {
  int policy = -1;
  sched_param param{};
  EXPECT_EQ(pthread_getschedparam(thread, &policy, &param), 0);
  return policy;
}

TEST(BackgroundThread, OnlyTheCallingThreadRunsAsBatchWork) {
  int before = -1, after = -1;
  std::thread([&] {
    before = PolicyOf(pthread_self());
    EXPECT_TRUE(RunAsBackgroundThread());
    after = PolicyOf(pthread_self());
  }).join();
  EXPECT_EQ(before, SCHED_OTHER);
  EXPECT_EQ(after, SCHED_BATCH);
  EXPECT_EQ(PolicyOf(pthread_self()), SCHED_OTHER);
}

}  // namespace
}  // namespace polytrace

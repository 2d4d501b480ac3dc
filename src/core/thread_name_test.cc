#include "core/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace polytrace {
namespace {

std::string NameOf(pthread_t thread) {
  char name[32] = {};
  EXPECT_EQ(pthread_getname_np(thread, name, sizeof name), 0);
  return name;
}

TEST(ThreadName, NamesTheCallingThreadKeepingFifteenBytes) {
  std::string short_name, long_name;
  std::thread([&] {
    SetThreadName("batch");
    short_name = NameOf(pthread_self());
    SetThreadName("exporter/otlphttp/backend");
    long_name = NameOf(pthread_self());
  }).join();
  EXPECT_EQ(short_name, "batch");
  EXPECT_EQ(long_name, "exporter/otlpht");
}

}  // namespace
}  // namespace polytrace

#include "store/segment/shared_lru.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace polytrace::store {
namespace {

TEST(SharedLru, DropsTheLeastRecentlyUsedPastItsBudget) {
  SharedLru<int, std::string> cache(10);
  cache.Insert(1, std::make_shared<std::string>("a"), 4);
  cache.Insert(2, std::make_shared<std::string>("b"), 4);
  ASSERT_NE(cache.Find(1), nullptr);  // 1 is now the most recently used
  cache.Insert(3, std::make_shared<std::string>("c"), 4);
  EXPECT_EQ(cache.Find(2), nullptr);  // the oldest went
  EXPECT_NE(cache.Find(1), nullptr);
  EXPECT_NE(cache.Find(3), nullptr);
  EXPECT_EQ(cache.bytes(), 8u);
  EXPECT_FALSE(cache.Full());
}

TEST(SharedLru, KeepsTheFirstValueInsertedForAKey) {
  SharedLru<int, std::string> cache(100);
  auto first = cache.Insert(7, std::make_shared<std::string>("first"), 5);
  auto second = cache.Insert(7, std::make_shared<std::string>("second"), 6);
  EXPECT_EQ(*second, "first");
  EXPECT_EQ(first, second);
  EXPECT_EQ(cache.bytes(), 5u);
}

TEST(SharedLru, AValueDroppedWhileUsedLivesOn) {
  SharedLru<int, std::string> cache(4);
  auto held = cache.Insert(1, std::make_shared<std::string>("kept by a reader"), 4);
  cache.Insert(2, std::make_shared<std::string>("newer"), 4);
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(*held, "kept by a reader");
}

TEST(SharedLru, EraseIfDropsTheMatchingKeysAndTheirBytes) {
  SharedLru<int, std::string> cache(100);
  for (int i = 0; i < 10; ++i) cache.Insert(i, std::make_shared<std::string>("v"), 3);
  cache.EraseIf([](int k) { return k % 2 == 0; });
  EXPECT_EQ(cache.bytes(), 15u);
  EXPECT_EQ(cache.Find(4), nullptr);
  EXPECT_NE(cache.Find(5), nullptr);
}

// Threads inserting, finding and dropping at once (ThreadSanitizer runs
// this in CI): the budget holds and no value is lost while held.
TEST(SharedLru, ThreadsShareItSafely) {
  SharedLru<int, std::string> cache(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        int key = (i * 7 + t) % 50;
        auto v = cache.Find(key);
        if (v == nullptr)
          v = cache.Insert(key, std::make_shared<std::string>(std::to_string(key)), 4);
        ASSERT_EQ(*v, std::to_string(key));
        if (i % 500 == 0) cache.EraseIf([t](int k) { return k % 4 == t; });
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.bytes(), 64u);
}

}  // namespace
}  // namespace polytrace::store

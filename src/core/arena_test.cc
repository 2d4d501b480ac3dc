#include "core/arena.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

TEST(ArenaTest, CopiedStringsOutliveTheSource) {
  Arena arena;
  std::string_view copy;
  {
    std::string source(1000, 'x');
    copy = arena.Copy(source);
  }
  EXPECT_EQ(copy, std::string(1000, 'x'));
}

TEST(ArenaTest, AllocationsAreAligned) {
  Arena arena;
  for (int i = 0; i < 100; ++i) {
    arena.Allocate(3, 1);
    void* p = arena.Allocate(8, 8);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
  }
}

TEST(ArenaVecTest, AppendGrowsAndKeepsOrder) {
  Arena arena;
  ArenaVec<int> v;
  for (int i = 0; i < 1000; ++i) v.Append(arena, i);
  ASSERT_EQ(v.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(v[i], i);
}

TEST(ArenaVecTest, RemoveIfKeepsOrderOfTheRest) {
  Arena arena;
  ArenaVec<int> v;
  for (int i = 0; i < 10; ++i) v.Append(arena, i);
  EXPECT_EQ(v.RemoveIf([](int x) { return x % 2 == 0; }), 5u);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[4], 9);
}

TEST(ArenaVecTest, AppendToASliceNeverWritesIntoTheOriginal) {
  Arena arena;
  ArenaVec<int> v;
  v.Reserve(arena, 8);
  for (int i = 0; i < 4; ++i) v.Append(arena, i);
  ArenaVec<int> slice = v.Slice(0, 2);
  slice.Append(arena, 99);
  EXPECT_EQ(v[2], 2);
  EXPECT_EQ(slice[2], 99);
}

}  // namespace
}  // namespace polytrace

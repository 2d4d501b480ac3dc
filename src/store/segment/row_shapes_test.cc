#include "store/segment/row_shapes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/table/span_table.h"

namespace polytrace::store {
namespace {

struct Row {
  std::vector<uint32_t> keys;
  std::vector<uint8_t> types;
};

constexpr uint8_t kStr = uint8_t(CellType::kString), kInt = uint8_t(CellType::kInt);

struct Columns {
  std::string rows, keys, types;
};

Columns Write(const std::vector<Row>& rows) {
  RowShapesWriter writer;
  for (const Row& r : rows) writer.AddRow(r.keys, r.types);
  Columns c;
  writer.Finish(&c.rows, &c.keys, &c.types);
  return c;
}

void ExpectReadBack(const std::vector<Row>& rows, uint32_t key_count, size_t shapes) {
  Columns c = Write(rows);
  RowShapesReader reader;
  ASSERT_TRUE(reader.Parse(c.rows, c.keys, c.types, uint32_t(rows.size()), key_count));
  EXPECT_EQ(reader.size(), shapes);
  uint64_t cells = 0;
  for (uint32_t row = 0; row < rows.size(); ++row) {
    uint32_t shape = reader.ShapeOf(row);
    ASSERT_LT(shape, reader.size());
    EXPECT_EQ(std::vector<uint32_t>(reader.Keys(shape).begin(), reader.Keys(shape).end()),
              rows[row].keys)
        << "row " << row;
    EXPECT_EQ(std::vector<uint8_t>(reader.Types(shape).begin(), reader.Types(shape).end()),
              rows[row].types)
        << "row " << row;
    cells += rows[row].keys.size();
  }
  EXPECT_EQ(reader.cells(), cells);
}

TEST(RowShapesTest, RowsOfTheSameKeysAndTypesShareAShape) {
  std::vector<Row> rows;
  for (int i = 0; i < 100; ++i) {
    rows.push_back({{0, 1, 2}, {kStr, kInt, kStr}});
    rows.push_back({{3}, {kInt}});
    rows.push_back({});                               // no attributes
    rows.push_back({{0, 1, 2}, {kStr, kStr, kStr}});  // same keys, another type
    rows.push_back({{1, 0, 2}, {kInt, kStr, kStr}});  // same cells, another order
  }
  ExpectReadBack(rows, 4, 5);
  Columns c = Write(rows);
  EXPECT_EQ(c.rows.size(), 2 + rows.size());  // width, count, a byte per row
}

TEST(RowShapesTest, ManyShapesTakeWiderIds) {
  for (uint32_t shapes : {256u, 257u, 70000u}) {
    std::vector<Row> rows;
    for (uint32_t i = 0; i < shapes; ++i) rows.push_back({{i % 300, 300 + i / 300}, {kInt, kStr}});
    rows.push_back(rows.front());
    ExpectReadBack(rows, 300 + 70000 / 300 + 1, shapes);
  }
}

TEST(RowShapesTest, DamageIsRejected) {
  std::vector<Row> rows{{{0, 1}, {kStr, kInt}}, {{2}, {kStr}}, {{0, 1}, {kStr, kInt}}};
  const Columns good = Write(rows);
  RowShapesReader reader;
  ASSERT_TRUE(reader.Parse(good.rows, good.keys, good.types, 3, 3));
  EXPECT_FALSE(reader.Parse(good.rows, good.keys, good.types, 4, 3)) << "row count";
  EXPECT_FALSE(reader.Parse(good.rows, good.keys, good.types, 3, 2)) << "key past the dictionary";
  Columns c = good;
  c.rows[0] = 3;
  EXPECT_FALSE(reader.Parse(c.rows, c.keys, c.types, 3, 3)) << "width";
  c = good;
  c.rows.back() = 7;
  EXPECT_FALSE(reader.Parse(c.rows, c.keys, c.types, 3, 3)) << "id past the shapes";
  c = good;
  c.types[0] = 9;
  EXPECT_FALSE(reader.Parse(c.rows, c.keys, c.types, 3, 3)) << "type";
  c = good;
  c.types.pop_back();
  EXPECT_FALSE(reader.Parse(c.rows, c.keys, c.types, 3, 3)) << "types short";
  c = good;
  c.keys.push_back(0);
  EXPECT_FALSE(reader.Parse(c.rows, c.keys, c.types, 3, 3)) << "trailing keys";
  c = good;
  c.keys[0] = char(0x7f);  // a shape of 127 cells in a few bytes
  EXPECT_FALSE(reader.Parse(c.rows, c.keys, c.types, 3, 3)) << "cells past the column";
  for (size_t cut = 0; cut < good.rows.size(); ++cut) {
    EXPECT_FALSE(reader.Parse(good.rows.substr(0, cut), good.keys, good.types, 3, 3)) << cut;
  }
}

}  // namespace
}  // namespace polytrace::store

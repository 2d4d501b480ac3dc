// Row shapes (format 10): the keys and types of a row's attribute cells, in
// order. The spans of one operation carry the same attributes in the same
// order, so a row group of 2,048 spans has a few dozen shapes; storing each
// once and a shape id per row replaces a key and a type byte per cell.
// Stepping over rows then counts shape ids, a row at a time, not cells (a
// cell-by-cell count of every key and type was a tenth of a search for a
// user ID and of the fetch of the traces it found), and a read decompresses
// a byte or two per row instead of two per cell (the largest columns a
// search decompressed).
//
//   attr_counts := width (1 byte: 1, 2 or 4) varint(shapes) id×rows (each
//                  `width` bytes, little-endian)
//   attr_keys   := per shape, in id order: varint(cells) varint(key)×cells
//   attr_types  := per shape, in id order: CellType byte×cells
//
// Versions 1-9 store a varint cell count per row in attr_counts, a varint
// key per cell in attr_keys and a type byte per cell in attr_types.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace polytrace::store {

inline constexpr uint8_t kRowShapesVersion = 10;

class RowShapesWriter {
 public:
  // The next row, whose cells have keys[i] and types[i].
  void AddRow(std::span<const uint32_t> keys, std::span<const uint8_t> types);
  // The three columns, appended.
  void Finish(std::string* rows, std::string* keys, std::string* types) const;

 private:
  std::string scratch_;                             // the row's shape: its keys, then its types
  absl::flat_hash_map<std::string, uint32_t> ids_;  // shape -> id
  std::string keys_, types_;                        // the shapes' columns, in id order
  std::vector<uint32_t> row_shapes_;
};

class RowShapesReader {
 public:
  // Parses a row group's three columns (views kept: they must outlive
  // this reader). False on damaged input: a key not below `key_count`, a
  // type that is not a CellType, an id not below the number of shapes, a
  // row count other than `row_count`.
  bool Parse(std::string_view rows, std::string_view keys, std::string_view types,
             uint32_t row_count, uint32_t key_count);
  // REQUIRES: row < the group's rows.
  uint32_t ShapeOf(uint32_t row) const {
    switch (width_) {
      case 1: return static_cast<uint8_t>(ids_[row]);
      case 2: return LoadLe(row * 2, 2);
      default: return LoadLe(row * 4, 4);
    }
  }
  size_t size() const { return begin_.size() - 1; }
  std::span<const uint32_t> Keys(uint32_t shape) const {
    return std::span(keys_).subspan(begin_[shape], begin_[shape + 1] - begin_[shape]);
  }
  std::span<const uint8_t> Types(uint32_t shape) const {
    return std::span(types_ + begin_[shape], begin_[shape + 1] - begin_[shape]);
  }
  // The cells of every row, counted.
  uint64_t cells() const;

 private:
  uint32_t LoadLe(size_t at, int n) const {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint32_t(static_cast<uint8_t>(ids_[at + i])) << (8 * i);
    return v;
  }

  const char* ids_ = nullptr;
  uint8_t width_ = 1;
  std::vector<uint32_t> keys_;      // every shape's, in id order
  std::vector<uint32_t> begin_{0};  // per shape, its first cell in keys_ and types_; then the end
  const uint8_t* types_ = nullptr;
  uint32_t rows_ = 0;
};

}  // namespace polytrace::store

#include "store/segment/row_shapes.h"

#include <algorithm>

#include "store/format/coding.h"
#include "store/table/span_table.h"

namespace polytrace::store {

void RowShapesWriter::AddRow(std::span<const uint32_t> keys, std::span<const uint8_t> types) {
  scratch_.clear();
  PutVarint(&scratch_, keys.size());
  for (uint32_t key : keys) PutVarint(&scratch_, key);
  const size_t keys_bytes = scratch_.size();
  scratch_.append(reinterpret_cast<const char*>(types.data()), types.size());
  auto [it, added] = ids_.try_emplace(scratch_, static_cast<uint32_t>(ids_.size()));
  if (added) {
    keys_.append(scratch_, 0, keys_bytes);
    types_.append(scratch_, keys_bytes);
  }
  row_shapes_.push_back(it->second);
}

void RowShapesWriter::Finish(std::string* rows, std::string* keys, std::string* types) const {
  const size_t shapes = ids_.size();
  const uint8_t width = shapes <= 0x100 ? 1 : shapes <= 0x10000 ? 2 : 4;
  rows->push_back(static_cast<char>(width));
  PutVarint(rows, shapes);
  for (uint32_t id : row_shapes_) {
    for (int i = 0; i < width; ++i) rows->push_back(static_cast<char>(id >> (8 * i)));
  }
  keys->append(keys_);
  types->append(types_);
}

bool RowShapesReader::Parse(std::string_view rows, std::string_view keys, std::string_view types,
                            uint32_t row_count, uint32_t key_count) {
  ByteReader in(rows);
  uint64_t shapes;
  if (!in.GetByte(&width_) || (width_ != 1 && width_ != 2 && width_ != 4) ||
      !in.GetVarint(&shapes) || shapes > keys.size() ||
      in.remaining() != size_t(row_count) * width_) {
    return false;
  }
  ids_ = rows.data() + (rows.size() - in.remaining());
  keys_.clear();
  keys_.reserve(keys.size());  // a key takes a byte or more
  begin_.clear();
  begin_.reserve(shapes + 1);
  begin_.push_back(0);
  ByteReader key_in(keys);
  for (uint64_t s = 0; s < shapes; ++s) {
    uint64_t n;
    if (!key_in.GetVarint(&n) || n > key_in.remaining()) return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t key;
      if (!key_in.GetVarint32(&key) || key >= key_count) return false;
      keys_.push_back(key);
    }
    begin_.push_back(static_cast<uint32_t>(keys_.size()));
  }
  if (!key_in.done() || types.size() != keys_.size()) return false;
  types_ = reinterpret_cast<const uint8_t*>(types.data());
  if (std::any_of(types_, types_ + types.size(),
                  [](uint8_t t) { return t > uint8_t(CellType::kComplex); })) {
    return false;
  }
  // Every id names a shape (flags or-ed, not a running maximum: that kept
  // the maximum in memory and was most of parsing).
  const auto* ids = reinterpret_cast<const uint8_t*>(ids_);
  bool bad = false;
  if (width_ == 1) {
    for (uint32_t row = 0; row < row_count; ++row) bad |= ids[row] >= shapes;
  } else {
    for (uint32_t row = 0; row < row_count; ++row) bad |= ShapeOf(row) >= shapes;
  }
  rows_ = row_count;
  return !bad;
}

uint64_t RowShapesReader::cells() const {
  uint64_t cells = 0;
  for (uint32_t row = 0; row < rows_; ++row) {
    const uint32_t shape = ShapeOf(row);
    cells += begin_[shape + 1] - begin_[shape];
  }
  return cells;
}

}  // namespace polytrace::store

// Frame-of-reference bit packing for integer columns whose values are
// spread evenly over a range (span durations, start offsets): blocks of 128
// values, each stored as its minimum plus (value - minimum) in just as many
// bits as the block's widest needs. Such values are close to random in
// their low bits, which zstd cannot squeeze; a varint spends a continuation
// bit per 7 and pads to whole bytes. Measured on the loadgen's demo spans
// (docs/store-format.md): durations 3.69 -> 3.28 bytes/span, starts 3.19 ->
// 2.81, both after zstd.
//
// Layout: varint count, then per block: zigzag varint minimum, one byte bit
// width (0-64), ceil(n * width / 8) bytes of little-endian packed bits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "store/format/coding.h"

namespace polytrace::store {

void PutBitPacked(std::string* out, std::span<const int64_t> values);
// Appends the stream's values to `out`; false if it is damaged.
bool GetBitPacked(ByteReader& in, std::vector<int64_t>* out);
// How many of the stream's values equal `a`, and how many `b`, without
// unpacking them (a search asks whether a row group's codes hold one user
// ID's: unpacking 2,048 codes to look for one was most of that probe), and
// how many values it holds; false if the stream is damaged.
bool CountInBitPacked(ByteReader& in, int64_t a, int64_t b, uint64_t* equal_a, uint64_t* equal_b,
                      uint64_t* values);

// A stream's values by position, each unpacked when asked for: a read that
// keeps a few traces of a row group unpacked every start and duration of
// its 2,048 spans (the largest part of that read's own work).
class BitPackedView {
 public:
  // Reads the stream's block headers from `in` (the bits stay in its
  // buffer, which must outlive the view) and leaves `in` after the stream;
  // false if it is damaged.
  bool Parse(ByteReader& in);
  size_t size() const { return size_; }
  // REQUIRES: i < size().
  int64_t operator[](size_t i) const;
  // How many of the values at [begin, begin + n) equal `value`: a block
  // whose range cannot hold it is passed by its header alone (a lookup
  // stepping over the rows before its trace counts the zeros among a key's
  // codes; unpacking every code of the group was a sixth of the lookup).
  // REQUIRES: begin + n <= size().
  uint64_t Count(size_t begin, size_t n, int64_t value) const;

 private:
  struct Block {
    uint64_t min;
    const uint8_t* bits;
    size_t bytes;
    uint8_t width;
  };
  std::vector<Block> blocks_;
  size_t size_ = 0;
};

}  // namespace polytrace::store

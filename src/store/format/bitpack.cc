#include "store/format/bitpack.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace polytrace::store {
namespace {

constexpr size_t kBlock = 128;

// Bits [bit, bit + width) of `data` (little-endian), width <= 64.
uint64_t LoadBits(const uint8_t* data, size_t size, uint64_t bit, unsigned width) {
  size_t byte = size_t(bit >> 3);
  unsigned shift = unsigned(bit & 7);
  uint64_t lo = 0;
  if (byte + 8 <= size) [[likely]] {
    std::memcpy(&lo, data + byte, 8);  // one load (a memcpy of a variable size was a call)
  } else {
    std::memcpy(&lo, data + byte, size - byte);
  }
  uint64_t v = lo >> shift;
  if (shift + width > 64) {  // the value straddles a ninth byte
    v |= uint64_t(data[byte + 8]) << (64 - shift);
  }
  return width == 64 ? v : v & ((uint64_t(1) << width) - 1);
}

// The stream's value count (a block takes at least two bytes: a count
// beyond that is damage).
bool GetCount(ByteReader& in, uint64_t* count) {
  return in.GetVarint(count) && *count <= (in.remaining() / 2 + 1) * kBlock;
}

// The next block of `n` values: its minimum, its bit width and its bits.
bool GetBlock(ByteReader& in, size_t n, uint64_t* min, uint8_t* width, std::string_view* packed) {
  uint64_t min_zz;
  if (!in.GetVarint(&min_zz) || !in.GetByte(width) || *width > 64 ||
      !in.GetBytes((n * *width + 7) / 8, packed)) {
    return false;
  }
  *min = uint64_t(UnZigZag(min_zz));
  return true;
}

// Counts the n values of `width` bits in `data` (offsets from `min`)
// equal to a and to b; whole-byte widths compared as arrays (vectorised).
template <typename T>
void CountWords(const uint8_t* data, size_t n, uint64_t a, uint64_t b, uint64_t* na, uint64_t* nb) {
  uint64_t ca = 0, cb = 0;
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    ca += v == T(a);
    cb += v == T(b);
  }
  *na += ca;
  *nb += cb;
}

}  // namespace

bool CountInBitPacked(ByteReader& in, int64_t a, int64_t b, uint64_t* equal_a, uint64_t* equal_b,
                      uint64_t* values) {
  *equal_a = *equal_b = 0;
  uint64_t count;
  if (!GetCount(in, &count)) return false;
  *values = count;
  for (uint64_t begin = 0; begin < count; begin += kBlock) {
    size_t n = size_t(std::min<uint64_t>(kBlock, count - begin));
    uint64_t min;
    uint8_t width;
    std::string_view packed;
    if (!GetBlock(in, n, &min, &width, &packed)) return false;
    const uint64_t mask = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
    // The offsets a and b would have; one out of the block's range is in
    // none of its values.
    const uint64_t oa = uint64_t(a) - min, ob = uint64_t(b) - min;
    const bool has_a = (oa & ~mask) == 0, has_b = (ob & ~mask) == 0;
    if (!has_a && !has_b) continue;
    // A value the block cannot hold is looked for as one no value has.
    const uint64_t ta = has_a ? oa : (has_b ? ob : 0), tb = has_b ? ob : ta;
    uint64_t na = 0, nb = 0;
    const auto* data = reinterpret_cast<const uint8_t*>(packed.data());
    switch (width) {
      case 0: na = nb = n; break;
      case 8: CountWords<uint8_t>(data, n, ta, tb, &na, &nb); break;
      case 16: CountWords<uint16_t>(data, n, ta, tb, &na, &nb); break;
      case 32: CountWords<uint32_t>(data, n, ta, tb, &na, &nb); break;
      default:
        for (size_t i = 0; i < n; ++i) {
          uint64_t v = LoadBits(data, packed.size(), i * width, width);
          na += v == ta;
          nb += v == tb;
        }
    }
    *equal_a += has_a ? na : 0;
    *equal_b += has_b ? nb : 0;
  }
  return true;
}

void PutBitPacked(std::string* out, std::span<const int64_t> values) {
  PutVarint(out, values.size());
  for (size_t begin = 0; begin < values.size(); begin += kBlock) {
    std::span<const int64_t> block = values.subspan(begin, std::min(kBlock, values.size() - begin));
    int64_t min = *std::min_element(block.begin(), block.end());
    uint64_t widest = 0;
    for (int64_t v : block) widest |= uint64_t(v) - uint64_t(min);
    unsigned width = unsigned(std::bit_width(widest));
    PutVarint(out, ZigZag(min));
    out->push_back(char(width));
    size_t at = out->size();
    out->resize(at + (block.size() * width + 7) / 8, '\0');
    auto* bytes = reinterpret_cast<uint8_t*>(out->data() + at);
    uint64_t bit = 0;
    for (int64_t v : block) {
      uint64_t offset = uint64_t(v) - uint64_t(min);
      for (unsigned done = 0; done < width;) {  // byte by byte: encoding is not the hot path
        unsigned in_byte = unsigned((bit + done) & 7);
        unsigned take = std::min(8 - in_byte, width - done);
        bytes[(bit + done) >> 3] |= uint8_t(((offset >> done) & ((1u << take) - 1)) << in_byte);
        done += take;
      }
      bit += width;
    }
  }
}

bool BitPackedView::Parse(ByteReader& in) {
  uint64_t count;
  if (!GetCount(in, &count)) return false;
  blocks_.clear();
  // Once, not grown block by block (a lookup parses a view per packed
  // column it reads; its regrowth was a third of parsing). GetCount bounds
  // `count` by the bytes left.
  blocks_.reserve(size_t((count + kBlock - 1) / kBlock));
  size_ = 0;
  for (uint64_t begin = 0; begin < count; begin += kBlock) {
    size_t n = size_t(std::min<uint64_t>(kBlock, count - begin));
    Block& b = blocks_.emplace_back();
    std::string_view packed;
    if (!GetBlock(in, n, &b.min, &b.width, &packed)) return false;
    b.bits = reinterpret_cast<const uint8_t*>(packed.data());
    b.bytes = packed.size();
  }
  size_ = size_t(count);
  return true;
}

int64_t BitPackedView::operator[](size_t i) const {
  const Block& b = blocks_[i / kBlock];
  if (b.width == 0) return int64_t(b.min);
  return int64_t(b.min + LoadBits(b.bits, b.bytes, (i % kBlock) * b.width, b.width));
}

uint64_t BitPackedView::Count(size_t begin, size_t n, int64_t value) const {
  uint64_t count = 0;
  const size_t end = begin + n;
  while (begin < end) {
    const Block& b = blocks_[begin / kBlock];
    const size_t block_end = std::min(end, (begin / kBlock + 1) * kBlock);
    // The offset from the block's minimum `value` would have: out of the
    // block's width, no value of it is `value`.
    const uint64_t offset = uint64_t(value) - b.min;
    if (b.width == 0) {
      count += offset == 0 ? block_end - begin : 0;
    } else if (b.width == 64 || offset >> b.width == 0) {
      size_t i = begin;
      uint64_t bit = (i % kBlock) * b.width;
      if (b.width <= 56) {  // whole 8-byte loads while they stay inside the block
        const uint64_t mask = (uint64_t(1) << b.width) - 1;
        for (; i < block_end && (bit >> 3) + 8 <= b.bytes; ++i, bit += b.width) {
          uint64_t word;
          std::memcpy(&word, b.bits + (bit >> 3), 8);
          count += ((word >> (bit & 7)) & mask) == offset;
        }
      }
      for (; i < block_end; ++i, bit += b.width) {
        count += LoadBits(b.bits, b.bytes, bit, b.width) == offset;
      }
    }
    begin = block_end;
  }
  return count;
}

bool GetBitPacked(ByteReader& in, std::vector<int64_t>* out) {
  uint64_t count;
  if (!GetCount(in, &count)) return false;
  size_t at = out->size();
  out->resize(at + count);
  int64_t* next = out->data() + at;
  for (uint64_t begin = 0; begin < count; begin += kBlock) {
    size_t n = size_t(std::min<uint64_t>(kBlock, count - begin));
    uint64_t min;
    uint8_t width;
    std::string_view packed;
    if (!GetBlock(in, n, &min, &width, &packed)) {
      out->resize(at);
      return false;
    }
    const auto* data = reinterpret_cast<const uint8_t*>(packed.data());
    size_t i = 0;
    if (width == 0) {
      std::fill(next, next + n, int64_t(min));
      i = n;
    } else if (width <= 56) {
      // Whole 8-byte loads while they stay inside the block (one in three
      // reads of a row group went to unpacking times value by value).
      uint64_t mask = (uint64_t(1) << width) - 1;
      for (; i < n && (i * width >> 3) + 8 <= packed.size(); ++i) {
        uint64_t bit = i * width, word;
        std::memcpy(&word, data + (bit >> 3), 8);
        next[i] = int64_t(min + ((word >> (bit & 7)) & mask));
      }
    }
    for (; i < n; ++i) next[i] = int64_t(min + LoadBits(data, packed.size(), i * width, width));
    next += n;
  }
  return true;
}

}  // namespace polytrace::store

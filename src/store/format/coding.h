// Byte encodings shared by every store file: little-endian fixed integers,
// LEB128 varints, zigzag for signed deltas, and a bounds-checked reader.
//
// Readers never trust a length read from disk: every Get* returns false on
// truncation so a damaged file is reported, not dereferenced.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace polytrace::store {

inline void PutFixed32(std::string* out, uint32_t v) {
  out->append(reinterpret_cast<char*>(&v), 4);
}
inline void PutFixed64(std::string* out, uint64_t v) {
  out->append(reinterpret_cast<char*>(&v), 8);
}

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// A cursor over bytes read from disk.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // The bytes not read yet.
  std::string_view rest() const { return {p_, remaining()}; }

  bool GetVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t byte = static_cast<uint8_t>(*p_++);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool GetVarint32(uint32_t* v) {
    uint64_t wide;
    if (!GetVarint(&wide) || wide > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(wide);
    return true;
  }
  // Steps over the next `n` varints without decoding them: a varint ends
  // at its first byte under 0x80, and the ends are counted a chunk at a time
  // (a loop the compiler vectorises) until the n-th is near; stepping a
  // varint at a time was a tenth of fetching a trace. With `counted`, how
  // many of the n are the one-byte varint `value` (< 0x80). False when
  // fewer than n remain.
  bool SkipVarints(uint64_t n, uint8_t value = 0, uint64_t* counted = nullptr) {
    const auto* p = reinterpret_cast<const uint8_t*>(p_);
    const size_t size = remaining();
    constexpr size_t kChunk = 32;
    uint64_t ended = 0, hits = 0;
    size_t i = 0;
    for (; i + kChunk <= size; i += kChunk) {
      uint8_t ends = 0;  // byte counters: no widening in the vector loop
      for (size_t j = 0; j < kChunk; ++j) ends += uint8_t(p[i + j] < 0x80);
      if (ended + ends >= n) break;
      ended += ends;
      if (counted != nullptr) {
        // A varint starts where the byte before it ended one.
        uint8_t found = p[i] == value && (i == 0 || p[i - 1] < 0x80);
        for (size_t j = 1; j < kChunk; ++j) {
          found += uint8_t(p[i + j] == value) & uint8_t(p[i + j - 1] < 0x80);
        }
        hits += found;
      }
    }
    for (; i < size && ended < n; ++i) {
      hits += p[i] == value && (i == 0 || p[i - 1] < 0x80);
      ended += p[i] < 0x80;
    }
    if (ended < n) return false;
    p_ += i;
    if (counted != nullptr) *counted = hits;
    return true;
  }
  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = DecodeFixed32(p_);
    p_ += 4;
    return true;
  }
  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = DecodeFixed64(p_);
    p_ += 8;
    return true;
  }
  bool GetByte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool GetBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool GetLengthPrefixed(std::string_view* out) {
    uint64_t n;
    return GetVarint(&n) && n <= remaining() && GetBytes(static_cast<size_t>(n), out);
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace polytrace::store

// Protocol Buffers wire format: a bounds-checked reader over a byte view and
// a writer that appends to a std::string. Only what OTLP needs: varints,
// fixed32/64 and length-delimited fields; groups are rejected.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace polytrace::otlp::wire {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

class Reader {
 public:
  Reader(std::string_view data, size_t base_offset)
      : p_(reinterpret_cast<const uint8_t*>(data.data())),
        begin_(p_),
        end_(p_ + data.size()),
        base_(base_offset) {}

  bool done() const { return p_ >= end_; }
  // Byte offset of the cursor in the whole message (for error messages).
  size_t offset() const { return base_ + static_cast<size_t>(p_ - begin_); }

  bool ReadVarint(uint64_t* out) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      uint8_t b = *p_++;
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = result;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }
  bool ReadTag(uint32_t* field, WireType* type) {
    uint64_t tag;
    if (!ReadVarint(&tag) || tag > 0xffffffffu) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *type = static_cast<WireType>(tag & 7);
    return *field != 0;
  }
  bool ReadFixed64(uint64_t* out) {
    if (end_ - p_ < 8) return false;
    std::memcpy(out, p_, 8);  // little-endian host (x86_64, aarch64)
    p_ += 8;
    return true;
  }
  bool ReadFixed32(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    std::memcpy(out, p_, 4);
    p_ += 4;
    return true;
  }
  bool ReadBytes(std::string_view* out) {
    uint64_t len;
    if (!ReadVarint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }
  // The bytes not yet read, and a step over some of them (at most those).
  const uint8_t* cursor() const { return p_; }
  const uint8_t* end() const { return end_; }
  void Advance(size_t n) { p_ += n; }
  // Skips a field of the given type; false on groups or truncation.
  bool Skip(WireType type) {
    uint64_t v;
    std::string_view s;
    switch (type) {
      case kVarint: return ReadVarint(&v);
      case kFixed64: return ReadFixed64(&v);
      case kLen: return ReadBytes(&s);
      case kFixed32: {
        uint32_t f;
        return ReadFixed32(&f);
      }
      default: return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  size_t base_;
};

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
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

inline void PutTag(std::string* out, uint32_t field, WireType type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | type);
}

inline void PutFixed64(std::string* out, uint64_t v) {
  out->append(reinterpret_cast<const char*>(&v), 8);
}
inline void PutFixed32(std::string* out, uint32_t v) {
  out->append(reinterpret_cast<const char*>(&v), 4);
}

inline void PutBytes(std::string* out, uint32_t field, std::string_view s) {
  PutTag(out, field, kLen);
  PutVarint(out, s.size());
  out->append(s);
}

// Pointer writers for the encoder's hot path: the caller sized the buffer.
inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* WriteTag(char* p, uint32_t field, WireType type) {
  return WriteVarint(p, (static_cast<uint64_t>(field) << 3) | type);
}
inline char* WriteRaw(char* p, const void* data, size_t n) {
  if (n > 0) std::memcpy(p, data, n);  // an empty view may have a null data()
  return p + n;
}
inline char* WriteBytes(char* p, uint32_t field, std::string_view s) {
  p = WriteTag(p, field, kLen);
  p = WriteVarint(p, s.size());
  return WriteRaw(p, s.data(), s.size());
}

inline size_t TagSize(uint32_t field) { return VarintSize(static_cast<uint64_t>(field) << 3); }
inline size_t LenFieldSize(uint32_t field, size_t len) {
  return TagSize(field) + VarintSize(len) + len;
}

}  // namespace polytrace::otlp::wire

// StringDict: strings interned to dense ids. Services, span names,
// attribute keys, string attribute values and span origins (resource +
// scope) are stored as ids into one of these, so a column cell is a varint
// and a comparison is an integer compare.
//
// Not thread-safe; the owner (head block, segment reader) guards it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "store/format/coding.h"

namespace polytrace::store {

// Equality and hash for the short strings (attribute keys and values, span
// names) interned on the ingest hot path, inline: a libc memcmp call per
// comparison and the generic string hash took a third of appending to the
// head (bench/store_ingest_bench, BM_HeadAppend).
struct ShortStringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    size_t n = a.size();
    if (n != b.size()) return false;
    const char *p = a.data(), *q = b.data();
    if (n > 64) return std::memcmp(p, q, n) == 0;
    if (n >= 8) {
      for (size_t i = 0; i + 8 <= n; i += 8) {
        if (DecodeFixed64(p + i) != DecodeFixed64(q + i)) return false;
      }
      return DecodeFixed64(p + n - 8) == DecodeFixed64(q + n - 8);  // the tail, overlapping
    }
    if (n >= 4)
      return DecodeFixed32(p) == DecodeFixed32(q) &&
             DecodeFixed32(p + n - 4) == DecodeFixed32(q + n - 4);
    for (size_t i = 0; i < n; ++i) {
      if (p[i] != q[i]) return false;
    }
    return true;
  }
};

struct ShortStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
    uint64_t h = s.size() * kMul;
    const char* p = s.data();
    size_t n = s.size();
    if (n >= 8) {
      for (size_t i = 0; i + 8 <= n; i += 8) h = (h ^ DecodeFixed64(p + i)) * kMul;
      if (n % 8) h = (h ^ DecodeFixed64(p + n - 8)) * kMul;  // the tail, overlapping
    } else if (n >= 4) {
      h = (h ^ (uint64_t(DecodeFixed32(p)) << 32 | DecodeFixed32(p + n - 4))) * kMul;
    } else if (n > 0) {
      h = (h ^
           (uint64_t(uint8_t(p[0])) << 16 | uint64_t(uint8_t(p[n / 2])) << 8 | uint8_t(p[n - 1]))) *
          kMul;
    }
    // MurmurHash3's finalizer: every input bit reaches every output bit
    // (the table uses both the low and the high bits).
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  }
};

class StringDict {
 public:
  StringDict() = default;
  // Moves keep the chunks, so the views stay valid. Declared: the copy
  // operations below would otherwise make every move of a table (a row group
  // returned by value) re-intern all of its strings.
  StringDict(StringDict&&) noexcept = default;
  StringDict& operator=(StringDict&&) noexcept = default;
  StringDict(const StringDict& other) { *this = other; }
  StringDict& operator=(const StringDict& other) {
    if (this == &other) return *this;
    chunks_.clear();
    big_.clear();
    chunk_used_ = 0;
    views_.clear();
    ids_.clear();
    bytes_ = 0;
    for (std::string_view s : other.views_) Intern(s);
    return *this;
  }

  uint32_t Intern(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(views_.size());
    std::string_view stored = Store(s);
    views_.push_back(stored);
    ids_.emplace(stored, id);
    bytes_ += s.size();
    return id;
  }
  std::optional<uint32_t> Find(std::string_view s) const {
    auto it = ids_.find(s);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  // REQUIRES: id < size().
  std::string_view Get(uint32_t id) const { return views_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(views_.size()); }
  size_t bytes() const { return bytes_; }

 private:
  // Strings are copied into chunks that never move (views into them stay
  // valid as the dictionary grows): one allocation per 64 KiB instead of one
  // per string (measured: 2% less server CPU for 1M demo spans, 3 runs each).
  // Chunks start small and double up to 64 KiB, and are not zeroed first:
  // a search's read of a few traces holds a few KiB of strings, and a first
  // chunk of 64 KiB zeroed was 3% of a user-ID search (and its page faults
  // as much again).
  std::string_view Store(std::string_view s) {
    constexpr size_t kFirstChunk = 4 << 10, kChunk = 64 << 10;
    if (s.empty()) return {};
    if (s.size() > kChunk / 4) {  // big strings get an allocation of their own
      big_.push_back(std::make_unique_for_overwrite<char[]>(s.size()));
      std::memcpy(big_.back().get(), s.data(), s.size());
      return {big_.back().get(), s.size()};
    }
    if (chunks_.empty() || chunk_used_ + s.size() > chunk_size_) {
      chunk_size_ = chunks_.empty() ? kFirstChunk : std::min(kChunk, chunk_size_ * 2);
      while (chunk_size_ < s.size()) chunk_size_ *= 2;
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(chunk_size_));
      chunk_used_ = 0;
    }
    char* at = chunks_.back().get() + chunk_used_;
    std::memcpy(at, s.data(), s.size());
    chunk_used_ += s.size();
    return {at, s.size()};
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0, chunk_size_ = 0;  // of the last chunk
  std::vector<std::unique_ptr<char[]>> big_;
  std::vector<std::string_view> views_;
  // Open addressing: interning is on the ingest hot path (measured: the
  // std::unordered_map version spent ~25% of store ingest CPU here).
  absl::flat_hash_map<std::string_view, uint32_t, ShortStringHash, ShortStringEq> ids_;
  size_t bytes_ = 0;
};

}  // namespace polytrace::store

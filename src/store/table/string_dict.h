// StringDict: strings interned to dense ids. Services, span names,
// attribute keys, string attribute values and span origins (resource +
// scope) are stored as ids into one of these, so a column cell is a varint
// and a comparison is an integer compare.
//
// Not thread-safe; the owner (head block, segment reader) guards it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace polytrace::store {

class StringDict {
 public:
  StringDict() = default;
  StringDict(const StringDict& other) { *this = other; }
  StringDict& operator=(const StringDict& other) {
    if (this == &other) return *this;
    strings_.clear();
    ids_.clear();
    for (const std::string& s : other.strings_) Intern(s);
    return *this;
  }

  uint32_t Intern(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(strings_.size());
    const std::string& stored = strings_.emplace_back(s);
    ids_.emplace(std::string_view(stored), id);
    bytes_ += s.size();
    return id;
  }
  std::optional<uint32_t> Find(std::string_view s) const {
    auto it = ids_.find(s);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  // REQUIRES: id < size().
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(strings_.size()); }
  size_t bytes() const { return bytes_; }

 private:
  std::deque<std::string> strings_;  // a deque: interned views stay valid as it grows
  // Open addressing: interning is on the ingest hot path (measured: the
  // std::unordered_map version spent ~25% of store ingest CPU here).
  absl::flat_hash_map<std::string_view, uint32_t> ids_;
  size_t bytes_ = 0;
};

}  // namespace polytrace::store

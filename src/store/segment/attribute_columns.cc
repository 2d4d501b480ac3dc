#include "store/segment/attribute_columns.h"

#include <functional>

#include "store/format/coding.h"

namespace polytrace::store {

void AttributeColumnsWriter::AddString(uint32_t key, uint32_t table_string_id) {
  KeyStrings& k = strings_[key];
  auto [it, inserted] =
      k.local_ids.emplace(table_string_id, static_cast<uint32_t>(k.table_ids.size()));
  if (inserted) k.table_ids.push_back(table_string_id);
  k.stream.push_back(it->second);
}

void AttributeColumnsWriter::AddInt(uint32_t key, int64_t value) { ints_[key].push_back(value); }

void AttributeColumnsWriter::AddDouble(uint32_t key, uint64_t bits) {
  doubles_[key].push_back(bits);
}

void AttributeColumnsWriter::Finish(std::string* strings, std::string* dict, std::string* ints,
                                    std::string* doubles) const {
  PutVarint(strings, strings_.size());
  PutVarint(dict, strings_.size());
  for (const auto& [key, k] : strings_) {
    PutVarint(dict, key);
    PutVarint(dict, k.table_ids.size());
    for (uint32_t id : k.table_ids) PutLengthPrefixed(dict, table_.strings.Get(id));
    PutVarint(strings, key);
    PutVarint(strings, k.stream.size());
    int64_t previous = 0;
    for (uint32_t local : k.stream) {
      PutVarint(strings, ZigZag(int64_t(local) - previous));
      previous = local;
    }
  }
  PutVarint(ints, ints_.size());
  for (const auto& [key, values] : ints_) {
    PutVarint(ints, key);
    PutVarint(ints, values.size());
    for (int64_t v : values) PutVarint(ints, ZigZag(v));
  }
  PutVarint(doubles, doubles_.size());
  for (const auto& [key, values] : doubles_) {
    PutVarint(doubles, key);
    PutVarint(doubles, values.size());
    for (uint64_t bits : values) PutFixed64(doubles, bits);
  }
}

namespace {

// Reads "nkeys (key nvalues value*)*" into streams indexed by key.
template <typename ReadValue>
bool ParseKeyed(std::string_view column, uint32_t key_count, ReadValue read_value,
                const std::function<std::vector<uint64_t>*(uint32_t)>& target) {
  ByteReader in(column);
  uint64_t keys;
  if (!in.GetVarint(&keys) || keys > in.remaining()) return false;
  for (uint64_t i = 0; i < keys; ++i) {
    uint32_t key;
    uint64_t n;
    if (!in.GetVarint32(&key) || key >= key_count || !in.GetVarint(&n) || n > in.remaining()) {
      return false;
    }
    std::vector<uint64_t>* values = target(key);
    values->reserve(n);
    int64_t previous = 0;
    for (uint64_t j = 0; j < n; ++j) {
      uint64_t v;
      if (!read_value(in, previous, &v)) return false;
      values->push_back(v);
    }
  }
  return in.done();
}

}  // namespace

bool AttributeColumnsReader::Parse(std::string_view strings, std::string_view dict,
                                   std::string_view ints, std::string_view doubles,
                                   uint32_t key_count) {
  dicts_.assign(key_count, {});
  strings_.assign(key_count, {});
  ints_.assign(key_count, {});
  doubles_.assign(key_count, {});
  ByteReader d(dict);
  uint64_t keys;
  if (!d.GetVarint(&keys) || keys > d.remaining()) return false;
  for (uint64_t i = 0; i < keys; ++i) {
    uint32_t key;
    uint64_t n;
    if (!d.GetVarint32(&key) || key >= key_count || !d.GetVarint(&n) || n > d.remaining())
      return false;
    std::vector<std::string_view>& views = dicts_[key];
    views.resize(n);
    for (std::string_view& view : views) {
      if (!d.GetLengthPrefixed(&view)) return false;
    }
  }
  if (!d.done()) return false;
  auto delta_ids = [](ByteReader& in, int64_t& previous, uint64_t* v) {
    uint64_t z;
    if (!in.GetVarint(&z)) return false;
    previous += UnZigZag(z);
    if (previous < 0) return false;
    *v = static_cast<uint64_t>(previous);
    return true;
  };
  auto zigzag = [](ByteReader& in, int64_t&, uint64_t* v) {
    uint64_t z;
    if (!in.GetVarint(&z)) return false;
    *v = static_cast<uint64_t>(UnZigZag(z));
    return true;
  };
  auto fixed = [](ByteReader& in, int64_t&, uint64_t* v) { return in.GetFixed64(v); };
  return ParseKeyed(strings, key_count, delta_ids,
                    [&](uint32_t k) { return &strings_[k].values; }) &&
         ParseKeyed(ints, key_count, zigzag, [&](uint32_t k) { return &ints_[k].values; }) &&
         ParseKeyed(doubles, key_count, fixed, [&](uint32_t k) { return &doubles_[k].values; });
}

bool AttributeColumnsReader::NextString(uint32_t key, uint32_t* local_id) {
  uint64_t v;
  if (!Next(strings_, key, &v) || v >= dicts_[key].size()) return false;
  *local_id = static_cast<uint32_t>(v);
  return true;
}

bool AttributeColumnsReader::Next(Streams& streams, uint32_t key, uint64_t* payload) {
  if (key >= streams.size()) return false;
  Stream& s = streams[key];
  if (s.next >= s.values.size()) return false;
  *payload = s.values[s.next++];
  return true;
}

}  // namespace polytrace::store

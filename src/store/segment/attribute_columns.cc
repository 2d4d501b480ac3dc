#include "store/segment/attribute_columns.h"

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

// Reads "nkeys (key nvalues value*)*" with `read_value` per value.
template <typename ReadValue, typename StreamOf>
bool ParseKeyed(std::string_view column, ReadValue read_value, StreamOf stream_of) {
  ByteReader in(column);
  uint64_t keys;
  if (!in.GetVarint(&keys) || keys > in.remaining()) return false;
  for (uint64_t i = 0; i < keys; ++i) {
    uint32_t key;
    uint64_t n;
    if (!in.GetVarint32(&key) || !in.GetVarint(&n) || n > in.remaining()) return false;
    std::vector<uint64_t>* values = stream_of(key);
    values->reserve(n);
    for (uint64_t j = 0; j < n; ++j) {
      uint64_t v;
      if (!read_value(in, &v)) return false;
      values->push_back(v);
    }
  }
  return in.done();
}

}  // namespace

bool AttributeColumnsReader::Parse(std::string_view strings, std::string_view dict,
                                   std::string_view ints, std::string_view doubles,
                                   SpanTable* table) {
  // Per key: local string id -> the table's string id.
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> globals;
  ByteReader d(dict);
  uint64_t keys;
  if (!d.GetVarint(&keys) || keys > d.remaining()) return false;
  for (uint64_t i = 0; i < keys; ++i) {
    uint32_t key;
    uint64_t n;
    if (!d.GetVarint32(&key) || !d.GetVarint(&n) || n > d.remaining()) return false;
    std::vector<uint32_t>& ids = globals[key];
    for (uint64_t j = 0; j < n; ++j) {
      std::string_view s;
      if (!d.GetLengthPrefixed(&s)) return false;
      ids.push_back(table->strings.Intern(s));
    }
  }
  if (!d.done()) return false;
  auto stream_in = [](Streams& streams) {
    return [&streams](uint32_t key) { return &streams[key].values; };
  };
  // String ids are deltas of local ids; they become the table's ids.
  uint32_t current_key = 0;
  int64_t previous = 0;
  bool ok = ParseKeyed(
      strings,
      [&](ByteReader& in, uint64_t* v) {
        uint64_t delta;
        if (!in.GetVarint(&delta)) return false;
        int64_t local = previous + UnZigZag(delta);
        previous = local;
        const std::vector<uint32_t>& ids = globals[current_key];
        if (local < 0 || uint64_t(local) >= ids.size()) return false;
        *v = ids[size_t(local)];
        return true;
      },
      [&](uint32_t key) {
        current_key = key;
        previous = 0;
        return &strings_[key].values;
      });
  ok = ok && ParseKeyed(
                 ints,
                 [](ByteReader& in, uint64_t* v) {
                   uint64_t z;
                   if (!in.GetVarint(&z)) return false;
                   *v = static_cast<uint64_t>(UnZigZag(z));
                   return true;
                 },
                 stream_in(ints_));
  ok = ok && ParseKeyed(
                 doubles, [](ByteReader& in, uint64_t* v) { return in.GetFixed64(v); },
                 stream_in(doubles_));
  return ok;
}

bool AttributeColumnsReader::Next(Streams& streams, uint32_t key, uint64_t* payload) {
  auto it = streams.find(key);
  if (it == streams.end() || it->second.next >= it->second.values.size()) return false;
  *payload = it->second.values[it->second.next++];
  return true;
}

}  // namespace polytrace::store

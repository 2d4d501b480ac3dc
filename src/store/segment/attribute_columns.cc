#include "store/segment/attribute_columns.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "store/format/bitpack.h"
#include "store/format/coding.h"

namespace polytrace::store {

bool ValueTablesWriter::Open(uint32_t key) const {
  auto it = tables_.find(key);
  if (it != tables_.end()) return !it->second.closed && bytes_ < max_bytes_;
  return bytes_ < max_bytes_;
}

uint32_t ValueTablesWriter::Add(uint32_t key, std::string_view value) {
  Table& t = tables_[key];
  auto it = t.ids.find(value);
  if (it != t.ids.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(t.values.size());
  const std::string& kept = t.values.emplace_back(value);
  t.ids.emplace(kept, id);
  bytes_ += kept.size() + 48;  // the string, its deque slot and hash entry
  return id;
}

uint32_t ValueTablesWriter::size(uint32_t key) const {
  auto it = tables_.find(key);
  return it == tables_.end() ? 0 : static_cast<uint32_t>(it->second.values.size());
}

void ValueTablesWriter::Posting(uint32_t key, uint32_t id, uint32_t service) {
  postings_.Add(key, {id, service, group_});
}

void ValueTablesWriter::UsedDictionary(uint32_t key) {
  Table& t = tables_[key];
  t.first_dictionary_group = std::min(t.first_dictionary_group, group_);
}

void ValueTablesWriter::Counted(uint32_t key, uint64_t cells) {
  Table& t = tables_[key];
  t.cells += cells;
  // Nine in ten cells a value of their own: an ID, not a repeated value.
  if (t.cells >= kMinCellsToJudge && t.values.size() * 10 > t.cells * 9) t.closed = true;
}

void AttributeColumnsWriter::AddString(uint32_t key, uint32_t table_string_id, uint32_t service) {
  KeyStrings& k = ByKey(key, strings_, strings_by_key_);
  k.services.push_back(service);
  auto [it, inserted] =
      k.local_ids.emplace(table_string_id, static_cast<uint32_t>(k.table_ids.size()));
  if (inserted) k.table_ids.push_back(table_string_id);
  k.stream.push_back(it->second);
}

void AttributeColumnsWriter::AddInt(uint32_t key, int64_t value) {
  ByKey(key, ints_, ints_by_key_).push_back(value);
}

void AttributeColumnsWriter::AddDouble(uint32_t key, uint64_t bits) {
  ByKey(key, doubles_, doubles_by_key_).push_back(bits);
}

namespace {

// Appends "key n length payload": the length lets a reader find every
// key's values without walking the ones before.
void PutSection(std::string* out, uint32_t key, size_t n, const std::string& payload) {
  PutVarint(out, key);
  PutVarint(out, n);
  PutLengthPrefixed(out, payload);
}

}  // namespace

void AttributeColumnsWriter::Finish(std::string* strings, std::string* dict, std::string* ints,
                                    std::string* doubles, std::string* packed) const {
  std::string payload, dict_sections, string_sections, packed_sections;
  size_t dict_keys = 0, string_keys = 0, packed_keys = 0;
  std::vector<uint32_t> ids;
  for (const auto& [key, k] : strings_) {
    payload.clear();
    if (tables_->Open(key)) {
      // The group's strings by their ids in the segment's table: the first
      // time the segment meets one, code 0 (ids of new strings are handed
      // out in cell order, from first_new on).
      uint32_t first_new = tables_->size(key);
      ids.clear();
      for (uint32_t id : k.table_ids) ids.push_back(tables_->Add(key, table_.strings.Get(id)));
      bool bit_packed = tables_->size(key) >= kPackedTableStrings;
      PutVarint(&payload, bit_packed ? 2 : 1);
      PutVarint(&payload, first_new);
      uint32_t next_new = first_new;
      std::vector<int64_t> codes;
      absl::flat_hash_set<uint64_t> posted;  // (id, service) once per group
      for (size_t i = 0; i < k.stream.size(); ++i) {
        uint32_t id = ids[k.stream[i]];
        if (tables_->postings_complete() &&
            posted.insert((uint64_t(id) << 32) | k.services[i]).second) {
          tables_->Posting(key, id, k.services[i]);
        }
        uint64_t code = id == next_new ? 0 : uint64_t(id) + 1;
        next_new += code == 0;
        if (bit_packed) {
          codes.push_back(static_cast<int64_t>(code));
        } else {
          PutVarint(&payload, code);
        }
      }
      tables_->Counted(key, k.stream.size());
      if (bit_packed) {  // a column of their own (version 9)
        PutBitPacked(&payload, codes);
        PutSection(&packed_sections, key, k.stream.size(), payload);
        ++packed_keys;
      } else {
        PutSection(&string_sections, key, k.stream.size(), payload);
        ++string_keys;
      }
      continue;
    }
    tables_->UsedDictionary(key);
    PutVarint(&payload, 0);
    int64_t previous = 0;
    for (uint32_t local : k.stream) {
      PutVarint(&payload, ZigZag(int64_t(local) - previous));
      previous = local;
    }
    PutSection(&string_sections, key, k.stream.size(), payload);
    ++string_keys;
    payload.clear();
    for (uint32_t id : k.table_ids) PutLengthPrefixed(&payload, table_.strings.Get(id));
    PutSection(&dict_sections, key, k.table_ids.size(), payload);
    ++dict_keys;
  }
  PutVarint(strings, string_keys);
  strings->append(string_sections);
  if (packed_keys > 0) {
    PutVarint(packed, packed_keys);
    packed->append(packed_sections);
  }
  PutVarint(dict, dict_keys);
  dict->append(dict_sections);
  PutVarint(ints, ints_.size());
  for (const auto& [key, values] : ints_) {
    payload.clear();
    for (int64_t v : values) PutVarint(&payload, ZigZag(v));
    PutSection(ints, key, values.size(), payload);
  }
  PutVarint(doubles, doubles_.size());
  for (const auto& [key, values] : doubles_) {
    payload.clear();
    for (uint64_t bits : values) PutFixed64(&payload, bits);
    PutSection(doubles, key, values.size(), payload);
  }
}

namespace {

// Indexes "nkeys (key n length payload)*": each key's payload, unparsed.
bool IndexSections(std::string_view column, uint32_t key_count,
                   std::vector<std::pair<uint64_t, std::string_view>>* by_key) {
  by_key->assign(key_count, {0, std::string_view()});
  ByteReader in(column);
  uint64_t keys;
  if (!in.GetVarint(&keys) || keys > in.remaining()) return false;
  for (uint64_t i = 0; i < keys; ++i) {
    uint32_t key;
    uint64_t n;
    std::string_view payload;
    if (!in.GetVarint32(&key) || key >= key_count || !in.GetVarint(&n) ||
        !in.GetLengthPrefixed(&payload) ||
        n > payload.size() * 64 + 128) {  // bit-packed codes take 2 bytes per 128 at least
      return false;
    }
    (*by_key)[key] = {n, payload};
  }
  return in.done();
}

}  // namespace

bool AttributeColumnsReader::Parse(std::string_view strings, std::string_view dict,
                                   std::string_view ints, std::string_view doubles,
                                   uint32_t key_count, uint8_t version, const ValueTables* tables,
                                   std::string_view packed) {
  if (!ParseStrings(strings, dict, key_count, version, tables, packed)) return false;
  std::vector<std::pair<uint64_t, std::string_view>> sections;
  for (auto [column, streams] : {std::pair{ints, &ints_}, std::pair{doubles, &doubles_}}) {
    if (!IndexSections(column, key_count, &sections)) return false;
    streams->assign(key_count, Stream());
    for (uint32_t k = 0; k < key_count; ++k) {
      (*streams)[k].remaining = sections[k].first;
      (*streams)[k].in = ByteReader(sections[k].second);
    }
  }
  return true;
}

bool AttributeColumnsReader::ParseStrings(std::string_view strings, std::string_view dict,
                                          uint32_t key_count, uint8_t version,
                                          const ValueTables* tables, std::string_view packed) {
  return ParseStringColumns(strings, dict, packed, key_count, version, tables, false);
}

bool AttributeColumnsReader::ParsePacked(std::string_view packed, uint32_t key_count,
                                         uint8_t version, const ValueTables* tables) {
  return ParseStringColumns({}, {}, packed, key_count, version, tables, true);
}

bool AttributeColumnsReader::ParseStringColumns(std::string_view strings, std::string_view dict,
                                                std::string_view packed, uint32_t key_count,
                                                uint8_t version, const ValueTables* tables,
                                                bool packed_only) {
  version_ = version;
  tables_ = tables;
  table_interned_.clear();
  std::vector<std::pair<uint64_t, std::string_view>> sections(key_count);
  if (packed_only) {
    dict_sections_.assign(key_count, {0, std::string_view()});
  } else {
    if (!IndexSections(dict, key_count, &dict_sections_)) return false;
    // Before version 6 a lookup needs only the dictionaries: no strings column.
    if (!(strings.empty() && version < 6) && !IndexSections(strings, key_count, &sections)) {
      return false;
    }
  }
  dicts_.assign(key_count, {});
  interned_.assign(key_count, {});
  in_packed_.assign(key_count, false);
  if (!packed.empty()) {
    std::vector<std::pair<uint64_t, std::string_view>> packed_sections;
    if (version < 9 || !IndexSections(packed, key_count, &packed_sections)) return false;
    for (uint32_t k = 0; k < key_count; ++k) {
      if (packed_sections[k].second.empty()) continue;
      if (!sections[k].second.empty()) return false;  // a key's section in both columns
      sections[k] = packed_sections[k];
      in_packed_[k] = true;
    }
  }
  strings_.assign(key_count, Stream());
  for (uint32_t k = 0; k < key_count; ++k) {
    strings_[k].remaining = strings_[k].total = sections[k].first;
    strings_[k].in = ByteReader(sections[k].second);
  }
  if (!ParseStringModes(key_count)) return false;
  for (uint32_t k = 0; k < key_count; ++k) {
    if (in_packed_[k] && !strings_[k].packed) return false;  // only bit-packed codes go there
  }
  return true;
}

bool AttributeColumnsReader::ParseStringModes(uint32_t key_count) {
  if (version_ < 6) return true;
  for (uint32_t k = 0; k < key_count; ++k) {
    Stream& s = strings_[k];
    if (s.remaining == 0 && s.in.done()) continue;  // no section for the key
    uint64_t mode;
    if (!s.in.GetVarint(&mode) || mode > (version_ >= 7 ? 2 : 1)) return false;
    if (mode >= 1) {
      if (tables_ == nullptr || !s.in.GetVarint32(&s.next_new) || s.next_new > tables_->Size(k)) {
        return false;
      }
      s.table = true;
    }
    s.packed = mode == 2;
  }
  return true;
}

bool AttributeColumnsReader::Stream::Unpack() {
  unpacked = true;
  codes.clear();
  if (!GetBitPacked(in, &codes) || codes.size() != total) return false;
  for (int64_t code : codes) {
    if (code < 0) return false;
  }
  return true;
}

bool AttributeColumnsReader::Stream::View() {
  viewed = true;
  ByteReader at = in;  // `in` stays at the codes, for a later Unpack
  return view.Parse(at) && view.size() == total;
}

bool AttributeColumnsReader::StringsHold(uint32_t key, std::string_view value, bool* holds) {
  *holds = false;
  if (key >= strings_.size()) return true;  // a key this segment never saw
  Stream s = strings_[key];                 // walked on a copy: nothing consumed
  if (s.table) {
    std::optional<uint32_t> id;
    if (!tables_->Find(key, value, &id)) return false;
    if (!id) return true;
    if (s.packed && !s.unpacked) {
      // Counted where they lie: the string's code (id + 1), or the zero
      // that hands it out when the group is the first to meet it (zeros
      // give next_new, next_new + 1, ... in turn).
      uint64_t coded = 0, zeros = 0, values = 0;
      if (!CountInBitPacked(s.in, int64_t(*id) + 1, 0, &coded, &zeros, &values) ||
          values != s.total) {
        return false;
      }
      *holds = coded > 0 || (*id >= s.next_new && zeros > *id - s.next_new);
      return true;
    }
    for (uint64_t i = 0; i < s.remaining; ++i) {
      uint64_t code;
      if (!s.NextCode(&code)) return false;
      uint64_t at = code == 0 ? s.next_new++ : code - 1;
      if (at == *id) {
        *holds = true;
        return true;
      }
    }
    return true;
  }
  // Walked in place, nothing kept: pruning asks once per group.
  ByteReader in(dict_sections_[key].second);
  for (uint64_t i = 0; i < dict_sections_[key].first; ++i) {
    std::string_view d;
    if (!in.GetLengthPrefixed(&d)) return false;
    if (d == value) {
      *holds = true;
      return true;
    }
  }
  return true;
}

bool AttributeColumnsReader::StringPositions(uint32_t key, std::optional<uint32_t> local_id,
                                             std::vector<uint64_t>* positions) {
  if (!local_id || key >= strings_.size()) return true;
  Stream& s = strings_[key];
  // Bit-packed codes are unpacked in place, once: the read that follows
  // takes them from there. The walk itself is on copies.
  if (s.table && s.packed && !s.unpacked && !s.Unpack()) return false;
  ByteReader in = s.in;
  size_t next_code = s.next_code;
  uint32_t next_new = s.next_new;
  int64_t previous = s.previous;
  for (uint64_t i = 0; i < s.remaining; ++i) {
    uint64_t z;
    if (s.table && s.packed) {
      if (next_code >= s.codes.size()) return false;
      z = static_cast<uint64_t>(s.codes[next_code++]);
    } else if (!in.GetVarint(&z)) {
      return false;
    }
    int64_t id =
        s.table ? (z == 0 ? int64_t(next_new++) : int64_t(z - 1)) : (previous += UnZigZag(z));
    if (id == int64_t(*local_id)) positions->push_back(i);
  }
  return true;
}

std::optional<uint32_t> AttributeColumnsReader::LocalId(uint32_t key, std::string_view value) {
  if (key >= strings_.size()) return std::nullopt;
  if (strings_[key].table) {
    std::optional<uint32_t> id;
    if (!tables_->Find(key, value, &id)) return std::nullopt;
    return id;
  }
  const std::vector<std::string_view>* dict = Dict(key);
  if (dict == nullptr) return std::nullopt;
  for (uint32_t i = 0; i < dict->size(); ++i) {
    if ((*dict)[i] == value) return i;
  }
  return std::nullopt;
}

bool AttributeColumnsReader::InternFromTable(uint32_t key, uint32_t id, SpanTable* table,
                                             uint32_t* out) {
  auto [it, added] = table_interned_.try_emplace((uint64_t(key) << 32) | id, 0);
  if (added) {
    std::string_view value;
    if (!tables_->Get(key, id, &value)) {
      table_interned_.erase(it);
      return false;
    }
    it->second = table->strings.Intern(value);
  }
  *out = it->second;
  return true;
}

const std::vector<std::string_view>* AttributeColumnsReader::Dict(uint32_t key) {
  std::vector<std::string_view>& views = dicts_[key];
  if (views.empty() && dict_sections_[key].first > 0) {
    // Parsed on first use: reading one trace touches only its keys.
    ByteReader in(dict_sections_[key].second);
    views.resize(dict_sections_[key].first);
    for (std::string_view& view : views) {
      if (!in.GetLengthPrefixed(&view)) return nullptr;
    }
  }
  return &views;
}

bool AttributeColumnsReader::NextString(uint32_t key, uint32_t* local_id) {
  if (key >= strings_.size()) return false;
  Stream& s = strings_[key];
  uint64_t z;
  if (s.remaining == 0 || !(s.table ? s.NextCode(&z) : s.in.GetVarint(&z))) return false;
  --s.remaining;
  if (s.table) {
    uint64_t id = z == 0 ? s.next_new++ : z - 1;
    if (id >= tables_->Size(key)) return false;
    *local_id = static_cast<uint32_t>(id);
    return true;
  }
  s.previous += UnZigZag(z);
  const std::vector<std::string_view>* dict = Dict(key);
  if (dict == nullptr || s.previous < 0 || uint64_t(s.previous) >= dict->size()) return false;
  *local_id = static_cast<uint32_t>(s.previous);
  return true;
}

bool AttributeColumnsReader::NextInt(uint32_t key, uint64_t* payload) {
  if (key >= ints_.size()) return false;
  Stream& s = ints_[key];
  uint64_t z;
  if (s.remaining == 0 || !s.in.GetVarint(&z)) return false;
  --s.remaining;
  *payload = static_cast<uint64_t>(UnZigZag(z));
  return true;
}

bool AttributeColumnsReader::SkipMany(uint32_t key, CellType type, uint64_t n) {
  std::vector<Stream>* streams = type == CellType::kString   ? &strings_
                                 : type == CellType::kInt    ? &ints_
                                 : type == CellType::kDouble ? &doubles_
                                                             : nullptr;
  if (streams == nullptr) return true;  // no typed stream: nothing to step over
  if (key >= streams->size()) return false;
  Stream& s = (*streams)[key];
  if (s.remaining < n) return false;
  s.remaining -= n;
  if (type == CellType::kDouble) {
    std::string_view bytes;
    return s.in.GetBytes(8 * n, &bytes);
  }
  if (type == CellType::kInt || (s.table && !s.packed)) {
    // Varints stepped over by their last bytes, zeros (a table's next new
    // string) counted: no value decoded (stepping over the rows before a
    // trace was a fifth of fetching it).
    uint64_t zeros = 0;
    if (!s.in.SkipVarints(n, 0, s.table ? &zeros : nullptr)) return false;
    s.next_new += static_cast<uint32_t>(zeros);
    return true;
  }
  if (s.table) {  // bit-packed codes: the zeros among the next n
    if (s.unpacked) {
      if (n > s.codes.size() - s.next_code) return false;
      auto begin = s.codes.begin() + static_cast<ptrdiff_t>(s.next_code);
      s.next_new += static_cast<uint32_t>(std::count(begin, begin + static_cast<ptrdiff_t>(n), 0));
    } else {
      if (!s.viewed && !s.View()) return false;
      if (n > s.view.size() - s.next_code) return false;
      s.next_new += static_cast<uint32_t>(s.view.Count(s.next_code, n, 0));
    }
    s.next_code += n;
    return true;
  }
  uint64_t z;
  int64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (!(s.table ? s.NextCode(&z) : s.in.GetVarint(&z))) return false;
    if (s.table) {
      s.next_new += z == 0;  // ids of strings met before are absolute
    } else {
      sum += UnZigZag(z);
    }
  }
  if (type == CellType::kString) s.previous += sum;  // later ids are deltas from it
  return true;
}

bool AttributeColumnsReader::NextDouble(uint32_t key, uint64_t* payload) {
  if (key >= doubles_.size()) return false;
  Stream& s = doubles_[key];
  if (s.remaining == 0 || !s.in.GetFixed64(payload)) return false;
  --s.remaining;
  return true;
}

}  // namespace polytrace::store

#include "store/segment/segment_format.h"

#include <fmt/format.h>

#include <cstring>

#include "store/format/coding.h"

namespace polytrace::store {
namespace {

void PutDict(std::string* out, const StringDict& dict) {
  PutVarint(out, dict.size());
  for (uint32_t i = 0; i < dict.size(); ++i) PutLengthPrefixed(out, dict.Get(i));
}

bool GetDict(ByteReader& in, StringDict* dict) {
  uint64_t n;
  if (!in.GetVarint(&n) || n > in.remaining()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!in.GetLengthPrefixed(&s)) return false;
    dict->Intern(s);
  }
  return true;
}

void PutId(std::string* out, const TraceId& id) { out->append(id.AsBytes()); }
bool GetId(ByteReader& in, TraceId* id) {
  std::string_view raw;
  if (!in.GetBytes(16, &raw)) return false;
  std::memcpy(id->bytes.data(), raw.data(), 16);
  return true;
}

void PutColumnBlock(std::string* out, const ColumnBlock& c) {
  PutFixed64(out, c.offset);
  PutFixed32(out, c.size);
  PutFixed32(out, c.raw_size);
  PutFixed32(out, c.crc);
}

bool GetColumnBlock(ByteReader& in, ColumnBlock* c) {
  return in.GetFixed64(&c->offset) && in.GetFixed32(&c->size) && in.GetFixed32(&c->raw_size) &&
         in.GetFixed32(&c->crc);
}

void PutRowGroup(std::string* out, const RowGroupInfo& rg) {
  PutVarint(out, rg.rows);
  PutId(out, rg.first_trace);
  PutId(out, rg.last_trace);
  PutFixed64(out, rg.min_start);
  PutFixed64(out, rg.max_end);
  PutVarint(out, rg.services.size());
  for (uint32_t s : rg.services) PutVarint(out, s);
  PutVarint(out, rg.max_duration);
  out->push_back(static_cast<char>(rg.statuses));
  out->push_back(static_cast<char>(rg.kinds));
  out->push_back(static_cast<char>(rg.extras));
  for (const ColumnBlock& c : rg.columns) PutColumnBlock(out, c);
  PutFixed64(out, rg.max_start);
}

bool GetRowGroup(ByteReader& in, uint8_t version, RowGroupInfo* rg) {
  uint64_t services;
  if (!in.GetVarint32(&rg->rows) || !GetId(in, &rg->first_trace) || !GetId(in, &rg->last_trace) ||
      !in.GetFixed64(&rg->min_start) || !in.GetFixed64(&rg->max_end) || !in.GetVarint(&services) ||
      services > in.remaining()) {
    return false;
  }
  rg->services.resize(services);
  for (uint32_t& s : rg->services) {
    if (!in.GetVarint32(&s)) return false;
  }
  if (!in.GetVarint(&rg->max_duration) || !in.GetByte(&rg->statuses) || !in.GetByte(&rg->kinds) ||
      (version >= 3 && !in.GetByte(&rg->extras))) {
    return false;
  }
  // Older versions have no kAttrPacked: an empty block.
  const int columns = version >= 9 ? kColumnCount : kColumnCountV8;
  for (int c = 0; c < columns; ++c) {
    if (!GetColumnBlock(in, &rg->columns[c])) return false;
  }
  if (version < 11) {
    rg->max_start = rg->max_end;
    return true;
  }
  return in.GetFixed64(&rg->max_start);
}

}  // namespace

std::string EncodeFooter(const SegmentFooter& f) {
  std::string out;
  out.push_back(static_cast<char>(kSegmentVersion));
  const SegmentMeta& m = f.meta;
  PutVarint(&out, m.id);
  PutVarint(&out, m.level);
  PutVarint(&out, m.spans);
  PutVarint(&out, m.traces);
  PutFixed64(&out, m.min_start);
  PutFixed64(&out, m.max_end);
  PutFixed64(&out, m.max_start);
  PutVarint(&out, m.max_wal_seq);
  PutFixed64(&out, m.written_unix_nanos);
  PutVarint(&out, m.replaces.size());
  for (uint64_t id : m.replaces) PutVarint(&out, id);
  PutDict(&out, f.dicts->services);
  PutDict(&out, f.dicts->names);
  PutDict(&out, f.dicts->keys);
  PutDict(&out, f.dicts->origins);
  PutVarint(&out, f.operations.size());
  for (const Operation& op : f.operations) {
    PutVarint(&out, op.service);
    PutVarint(&out, op.name);
    out.push_back(static_cast<char>(op.kind));
  }
  PutVarint(&out, f.row_groups.size());
  for (const RowGroupInfo& rg : f.row_groups) PutRowGroup(&out, rg);
  PutLengthPrefixed(&out, f.bloom.data());
  PutColumnBlock(&out, f.attribute_index);
  PutVarint(&out, f.value_tables.size());
  for (const ValueTable& t : f.value_tables) {
    PutVarint(&out, t.key);
    PutVarint(&out, t.values);
    PutVarint(&out, t.chunks.size());
    for (const ValueChunk& c : t.chunks) {
      PutVarint(&out, c.first);
      PutColumnBlock(&out, c.block);
      PutColumnBlock(&out, c.postings);
      PutLengthPrefixed(&out, c.filter.data());
    }
    out.push_back(static_cast<char>(t.postings_shift));
    PutVarint(&out, t.first_dictionary_group);
  }
  return out;
}

namespace {

// Keys ascending and known, chunks ascending from 0 within the table: a
// reader finds a chunk by binary search and trusts its bounds.
bool GetValueTables(ByteReader& in, uint8_t version, size_t keys, size_t row_groups,
                    std::vector<ValueTable>* tables) {
  uint64_t n;
  if (!in.GetVarint(&n) || n > keys) return false;
  tables->resize(n);
  for (size_t i = 0; i < n; ++i) {
    ValueTable& t = (*tables)[i];
    uint64_t chunks;
    if (!in.GetVarint32(&t.key) || t.key >= keys || (i > 0 && t.key <= (*tables)[i - 1].key) ||
        !in.GetVarint32(&t.values) || !in.GetVarint(&chunks) || chunks > in.remaining() ||
        (chunks == 0) != (t.values == 0)) {
      return false;
    }
    t.chunks.resize(chunks);
    for (size_t c = 0; c < chunks; ++c) {
      ValueChunk& chunk = t.chunks[c];
      if (!in.GetVarint32(&chunk.first) || !GetColumnBlock(in, &chunk.block) ||
          chunk.first >= t.values ||
          (c == 0 ? chunk.first != 0 : chunk.first <= t.chunks[c - 1].first)) {
        return false;
      }
      std::string_view filter;
      if (version >= 8) {
        if (!GetColumnBlock(in, &chunk.postings) || !in.GetLengthPrefixed(&filter)) return false;
        chunk.filter = BloomFilter::FromBytes(filter);
      }
    }
    if (version >= 7 &&
        (!in.GetByte(&t.postings_shift) ||
         (t.postings_shift > 31 && t.postings_shift != kNoPostings) ||
         !in.GetVarint32(&t.first_dictionary_group) || t.first_dictionary_group > row_groups)) {
      return false;
    }
    // Version 8: a table with postings has a postings block per chunk
    // (without one its strings would seem to be in no group), one without
    // none.
    for (const ValueChunk& chunk : t.chunks) {
      if (version >= 8 && (chunk.postings.raw_size > 0) != (t.postings_shift != kNoPostings)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

Status DecodeFooter(std::string_view data, const std::string& where, SegmentFooter* f) {
  auto damaged = [&](const char* part) {
    return Status::InvalidArgument(fmt::format("{}: footer damaged in {}", where, part));
  };
  ByteReader in(data);
  uint8_t version;
  if (!in.GetByte(&version)) return damaged("version");
  if (version < 1 || version > kSegmentVersion) {
    return Status::InvalidArgument(
        fmt::format("{}: segment format version {} is not supported", where, version));
  }
  f->version = version;
  SegmentMeta& m = f->meta;
  uint64_t replaces;
  if (!in.GetVarint(&m.id) || !in.GetVarint32(&m.level) || !in.GetVarint(&m.spans) ||
      !in.GetVarint(&m.traces) || !in.GetFixed64(&m.min_start) || !in.GetFixed64(&m.max_end) ||
      (version >= 11 && !in.GetFixed64(&m.max_start)) || !in.GetVarint(&m.max_wal_seq) ||
      !in.GetFixed64(&m.written_unix_nanos) || !in.GetVarint(&replaces) ||
      replaces > in.remaining()) {
    return damaged("metadata");
  }
  if (version < 11) m.max_start = m.max_end;
  m.replaces.resize(replaces);
  for (uint64_t& id : m.replaces) {
    if (!in.GetVarint(&id)) return damaged("metadata");
  }
  f->dicts = std::make_shared<TableDicts>();
  if (!GetDict(in, &f->dicts->services) || !GetDict(in, &f->dicts->names) ||
      !GetDict(in, &f->dicts->keys) || !GetDict(in, &f->dicts->origins)) {
    return damaged("dictionaries");
  }
  uint64_t n;
  if (!in.GetVarint(&n) || n > in.remaining()) return damaged("operations");
  f->operations.resize(n);
  for (Operation& op : f->operations) {
    if (!in.GetVarint32(&op.service) || !in.GetVarint32(&op.name) || !in.GetByte(&op.kind)) {
      return damaged("operations");
    }
  }
  if (!in.GetVarint(&n) || n > in.remaining()) return damaged("row groups");
  f->row_groups.resize(n);
  for (RowGroupInfo& rg : f->row_groups) {
    if (!GetRowGroup(in, version, &rg)) return damaged("row groups");
  }
  std::string_view bloom;
  if (!in.GetLengthPrefixed(&bloom)) return damaged("trace ID filter");
  f->bloom = BloomFilter::FromBytes(bloom);
  if (version >= 4 && !GetColumnBlock(in, &f->attribute_index)) return damaged("attribute index");
  if (version >= 6 &&
      !GetValueTables(in, version, f->dicts->keys.size(), f->row_groups.size(), &f->value_tables)) {
    return damaged("value tables");
  }
  return Status::Ok();
}

const char* const kColumnNames[kColumnCount] = {
    "trace_runs",   "span_ids",   "parents",    "parent_ids",   "starts",       "durations",
    "services",     "names",      "origins",    "kinds",        "statuses",     "attr_counts",
    "attr_keys",    "attr_types", "attr_ints",  "attr_doubles", "attr_strings", "string_dict",
    "attr_complex", "extras",     "attr_packed"};

std::string SegmentFileName(uint64_t id) { return fmt::format("seg-{:010d}.pts", id); }

bool ParseSegmentFileName(std::string_view name, uint64_t* id) {
  if (name.size() != 18 || name.substr(0, 4) != "seg-" || name.substr(14) != ".pts") return false;
  uint64_t v = 0;
  for (char c : name.substr(4, 10)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *id = v;
  return true;
}

}  // namespace polytrace::store

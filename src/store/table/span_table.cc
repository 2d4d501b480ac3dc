#include "store/table/span_table.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "store/table/value_codec.h"

namespace polytrace::store {

std::string_view ServiceNameOf(const Resource& resource) {
  const AnyValue* v = FindAttribute(resource.attributes, kServiceNameKey);
  if (v == nullptr || v->type != ValueType::kString || v->string_value.empty()) {
    return kUnknownService;
  }
  return v->string_value;
}

SpanTable::SpanTable(std::shared_ptr<TableDicts> dicts) : dicts_(std::move(dicts)) {}

void SpanTable::AppendCell(uint32_t key, const AnyValue& value) {
  attr_key.push_back(key);
  uint64_t payload = 0;
  CellType type = CellType::kEmpty;
  switch (value.type) {
    case ValueType::kEmpty: break;
    case ValueType::kString:
      type = CellType::kString;
      payload = strings.Intern(value.string_value);
      break;
    case ValueType::kBool:
      type = value.bool_value ? CellType::kBoolTrue : CellType::kBoolFalse;
      break;
    case ValueType::kInt:
      type = CellType::kInt;
      payload = static_cast<uint64_t>(value.int_value);
      break;
    case ValueType::kDouble:
      type = CellType::kDouble;
      std::memcpy(&payload, &value.double_value, 8);
      break;
    case ValueType::kBytes:
    case ValueType::kArray:
    case ValueType::kKvList: {
      type = CellType::kComplex;
      payload = blobs.size();
      std::string encoded;
      EncodeAnyValue(value, &encoded);
      PutLengthPrefixed(&blobs, encoded);
      break;
    }
  }
  attr_type.push_back(static_cast<uint8_t>(type));
  attr_value.push_back(payload);
}

namespace {

// Spans of one batch mostly repeat the previous span's attribute keys (and
// many values) at the same positions: comparing with that guess first skips
// the hash lookup (interning was the largest cost of store ingest).
class InternMemo {
 public:
  uint32_t Intern(StringDict& dict, size_t position, std::string_view s) {
    if (position >= slots_.size()) slots_.resize(position + 1, {std::string_view(), UINT32_MAX});
    auto& [last, id] = slots_[position];
    if (id == UINT32_MAX || !ShortStringEq()(last, s)) {
      last = s;
      id = dict.Intern(s);
    }
    return id;
  }

 private:
  std::vector<std::pair<std::string_view, uint32_t>> slots_;  // views valid during one Append
};

}  // namespace

uint32_t SpanTable::Append(const Traces& traces) {
  uint32_t first = static_cast<uint32_t>(rows());
  std::string origin_bytes;
  InternMemo names, keys, values;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    uint32_t service_id = dicts_->services.Intern(ServiceNameOf(rs.resource));
    for (const ScopeSpans& ss : rs.scope_spans) {
      origin_bytes.clear();
      EncodeOrigin(rs, ss, &origin_bytes);
      uint32_t origin_id = dicts_->origins.Intern(origin_bytes);
      for (const Span& s : ss.spans) {
        trace_id.push_back(s.trace_id);
        span_id.push_back(s.span_id);
        parent_span_id.push_back(s.parent_span_id);
        start.push_back(s.start_time_unix_nano);
        end.push_back(s.end_time_unix_nano);
        service.push_back(service_id);
        name.push_back(names.Intern(dicts_->names, 0, s.name));
        origin.push_back(origin_id);
        kind.push_back(static_cast<uint8_t>(s.kind));
        status.push_back(static_cast<uint8_t>(s.status.code));
        for (size_t i = 0; i < s.attributes.size(); ++i) {
          const KeyValue& kv = s.attributes[i];
          uint32_t key = keys.Intern(dicts_->keys, i, kv.key);
          if (kv.value.type == ValueType::kString) {
            attr_key.push_back(key);
            attr_type.push_back(static_cast<uint8_t>(CellType::kString));
            attr_value.push_back(values.Intern(strings, i, kv.value.string_value));
          } else {
            AppendCell(key, kv.value);
          }
        }
        attr_begin.push_back(static_cast<uint32_t>(attr_key.size()));
        EncodeSpanExtras(s, &extras);
        extras_begin.push_back(static_cast<uint32_t>(extras.size()));
      }
    }
  }
  return first;
}

namespace {

uint32_t Translate(std::vector<uint32_t>& cache, uint32_t id, const StringDict& from,
                   StringDict& to) {
  if (id >= cache.size()) cache.resize(std::max<size_t>(id + 1, from.size()), UINT32_MAX);
  uint32_t& translated = cache[id];
  if (translated == UINT32_MAX) translated = to.Intern(from.Get(id));
  return translated;
}

}  // namespace

void SpanTable::AppendRowFrom(const SpanTable& other, uint32_t row, IdCache* cache) {
  const TableDicts& from = other.dicts();
  trace_id.push_back(other.trace_id[row]);
  span_id.push_back(other.span_id[row]);
  parent_span_id.push_back(other.parent_span_id[row]);
  start.push_back(other.start[row]);
  end.push_back(other.end[row]);
  bool same_dicts = other.dicts_ == dicts_;
  service.push_back(
      same_dicts ? other.service[row]
                 : Translate(cache->services, other.service[row], from.services, dicts_->services));
  name.push_back(same_dicts ? other.name[row]
                            : Translate(cache->names, other.name[row], from.names, dicts_->names));
  origin.push_back(
      same_dicts ? other.origin[row]
                 : Translate(cache->origins, other.origin[row], from.origins, dicts_->origins));
  kind.push_back(other.kind[row]);
  status.push_back(other.status[row]);
  for (uint32_t c = other.AttrBegin(row); c < other.AttrEnd(row); ++c) {
    uint32_t key = same_dicts ? other.attr_key[c]
                              : Translate(cache->keys, other.attr_key[c], from.keys, dicts_->keys);
    auto type = static_cast<CellType>(other.attr_type[c]);
    if (type == CellType::kComplex) {
      Arena scratch;
      AppendCell(key, other.CellValue(c, scratch));
      continue;
    }
    uint64_t payload = other.attr_value[c];
    if (type == CellType::kString) {
      payload = Translate(cache->strings, uint32_t(payload), other.strings, strings);
    }
    attr_key.push_back(key);
    attr_type.push_back(other.attr_type[c]);
    attr_value.push_back(payload);
  }
  attr_begin.push_back(static_cast<uint32_t>(attr_key.size()));
  extras.append(other.Extras(row));
  extras_begin.push_back(static_cast<uint32_t>(extras.size()));
}

void SpanTable::Reserve(size_t rows, size_t cells) {
  trace_id.reserve(rows);
  span_id.reserve(rows);
  parent_span_id.reserve(rows);
  start.reserve(rows);
  end.reserve(rows);
  service.reserve(rows);
  name.reserve(rows);
  origin.reserve(rows);
  kind.reserve(rows);
  status.reserve(rows);
  attr_begin.reserve(rows + 1);
  extras_begin.reserve(rows + 1);
  attr_key.reserve(cells);
  attr_type.reserve(cells);
  attr_value.reserve(cells);
}

void SpanTable::ClearRows() {
  trace_id.clear();
  span_id.clear();
  parent_span_id.clear();
  start.clear();
  end.clear();
  service.clear();
  name.clear();
  origin.clear();
  kind.clear();
  status.clear();
  attr_begin.assign(1, 0);
  attr_key.clear();
  attr_type.clear();
  attr_value.clear();
  extras_begin.assign(1, 0);
  extras.clear();
  blobs.clear();
  strings = StringDict();
}

void SpanTable::GatherRowsFrom(const SpanTable& other, std::span<const uint32_t> rows) {
  auto gather = [&](auto& to, const auto& from) {
    size_t at = to.size();
    to.resize(at + rows.size());
    for (size_t i = 0; i < rows.size(); ++i) to[at + i] = from[rows[i]];
  };
  gather(trace_id, other.trace_id);
  gather(span_id, other.span_id);
  gather(parent_span_id, other.parent_span_id);
  gather(start, other.start);
  gather(end, other.end);
  gather(service, other.service);
  gather(name, other.name);
  gather(origin, other.origin);
  gather(kind, other.kind);
  gather(status, other.status);
  for (uint32_t row : rows) {
    uint32_t b = other.AttrBegin(row), e = other.AttrEnd(row);
    attr_key.insert(attr_key.end(), other.attr_key.begin() + b, other.attr_key.begin() + e);
    attr_type.insert(attr_type.end(), other.attr_type.begin() + b, other.attr_type.begin() + e);
    attr_value.insert(attr_value.end(), other.attr_value.begin() + b, other.attr_value.begin() + e);
    attr_begin.push_back(static_cast<uint32_t>(attr_key.size()));
    extras.append(other.Extras(row));
    extras_begin.push_back(static_cast<uint32_t>(extras.size()));
  }
}

AnyValue SpanTable::CellValue(uint32_t cell, Arena& arena) const {
  return ValueOf(static_cast<CellType>(attr_type[cell]), attr_value[cell], arena);
}

AnyValue SpanTable::ValueOf(CellType type, uint64_t payload, Arena& arena) const {
  switch (type) {
    case CellType::kEmpty: return AnyValue();
    case CellType::kString: return AnyValue::String(strings.Get(static_cast<uint32_t>(payload)));
    case CellType::kBoolFalse: return AnyValue::Bool(false);
    case CellType::kBoolTrue: return AnyValue::Bool(true);
    case CellType::kInt: return AnyValue::Int(static_cast<int64_t>(payload));
    case CellType::kDouble: {
      double d;
      std::memcpy(&d, &payload, 8);
      return AnyValue::Double(d);
    }
    case CellType::kComplex: {
      ByteReader in(std::string_view(blobs).substr(payload));
      std::string_view encoded;
      AnyValue v;
      if (in.GetLengthPrefixed(&encoded)) {
        ByteReader value_in(encoded);
        if (!DecodeAnyValue(value_in, arena, &v)) v = AnyValue();
      }
      return v;
    }
  }
  return AnyValue();
}

bool SpanTable::Materialize(std::span<const uint32_t> rows_to_add, Traces* out) const {
  Arena& arena = out->arena();
  std::unordered_map<uint32_t, size_t> resource_index;  // origin -> index in out
  for (uint32_t row : rows_to_add) {
    auto [it, inserted] = resource_index.emplace(origin[row], out->resource_spans().size());
    if (inserted) {
      ResourceSpans& rs = out->resource_spans().Append(arena);
      ScopeSpans& ss = rs.scope_spans.Append(arena);
      if (!DecodeOrigin(dicts_->origins.Get(origin[row]), arena, &rs, &ss)) return false;
    }
    ScopeSpans& ss = out->resource_spans()[it->second].scope_spans[0];
    Span& s = ss.spans.Append(arena);
    s.trace_id = trace_id[row];
    s.span_id = span_id[row];
    s.parent_span_id = parent_span_id[row];
    s.start_time_unix_nano = start[row];
    s.end_time_unix_nano = end[row];
    s.name = arena.Copy(dicts_->names.Get(name[row]));
    s.kind = static_cast<SpanKind>(kind[row]);
    s.status.code = static_cast<StatusCodeValue>(status[row]);
    s.attributes.Reserve(arena, AttrEnd(row) - AttrBegin(row));
    for (uint32_t c = AttrBegin(row); c < AttrEnd(row); ++c) {
      KeyValue& kv = s.attributes.Append(arena);
      kv.key = arena.Copy(dicts_->keys.Get(attr_key[c]));
      kv.value = CloneValue(arena, CellValue(c, arena));
    }
    if (!DecodeSpanExtras(Extras(row), arena, &s)) return false;
  }
  return true;
}

size_t SpanTable::MemoryBytes() const {
  size_t per_row = sizeof(TraceId) + 2 * sizeof(SpanId) + 2 * 8 + 3 * 4 + 2 + 2 * 4;
  size_t per_cell = 4 + 1 + 8;
  return rows() * per_row + attr_key.size() * per_cell + extras.size() + blobs.size() +
         strings.bytes() + strings.size() * 48;
}

}  // namespace polytrace::store

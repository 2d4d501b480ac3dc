// The read path of Store: trace by ID, search, services and operations,
// dependencies and statistics over the head, frozen heads and segments.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <span>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "store/engine/span_matcher.h"
#include "store/engine/store.h"
#include "store/engine/trace_order.h"
#include "store/table/value_codec.h"

namespace polytrace::store {
namespace {

// Rows of `table` (sorted by trace ID) that belong to `id`.
std::vector<uint32_t> SortedRowsOf(const SpanTable& table, const TraceId& id) {
  auto [lo, hi] = std::equal_range(table.trace_id.begin(), table.trace_id.end(), id);
  std::vector<uint32_t> rows;
  for (auto it = lo; it != hi; ++it)
    rows.push_back(static_cast<uint32_t>(it - table.trace_id.begin()));
  return rows;
}

Status Damaged(const Status& st) {
  return Status::Internal(fmt::format("store: {}", st.message()));
}

class HitCollector {
 public:
  explicit HitCollector(size_t limit) : limit_(limit) {}
  void Scan(const SpanFilter& filter, const SpanTable& table, const TagSummary* summary = nullptr) {
    SpanMatcher matcher(filter, table, summary);
    if (!matcher.Possible()) return;
    constexpr uint32_t kBlock = TagSummary::kBlockRows;
    const uint32_t rows = static_cast<uint32_t>(table.rows());
    for (uint32_t begin = 0; begin < rows; begin += kBlock) {
      if (!matcher.BlockPossible(begin / kBlock)) continue;
      for (uint32_t row = begin; row < std::min(begin + kBlock, rows); ++row) {
        if (!matcher.Matches(row)) continue;
        uint64_t& latest = hits_[table.trace_id[row]];
        latest = std::max(latest, table.start[row]);
      }
    }
  }
  size_t size() const { return hits_.size(); }
  // The start a trace's matching span must reach to be among the `limit`
  // newest (0 while fewer have matched). Hits below it are forgotten: they
  // cannot be in the answer (if such a trace has a newer match elsewhere,
  // that one counts on its own), and the next threshold is then worked out
  // from the few left.
  uint64_t Threshold() {
    if (limit_ == 0 || hits_.size() < limit_) return 0;
    if (hits_.size() == counted_) return threshold_;
    std::vector<uint64_t> starts;
    starts.reserve(hits_.size());
    for (const auto& [id, start] : hits_) starts.push_back(start);
    std::nth_element(starts.begin(), starts.begin() + (limit_ - 1), starts.end(), std::greater<>());
    threshold_ = starts[limit_ - 1];
    std::erase_if(hits_, [&](const auto& hit) { return hit.second < threshold_; });
    counted_ = hits_.size();
    return threshold_;
  }
  std::vector<TraceHit> Newest(size_t limit) const {
    std::vector<TraceHit> out;
    for (const auto& [id, start] : hits_) out.push_back({id, start});
    std::sort(out.begin(), out.end(), [](const TraceHit& a, const TraceHit& b) {
      return a.start_nanos != b.start_nanos ? a.start_nanos > b.start_nanos
                                            : a.trace_id < b.trace_id;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

 private:
  std::unordered_map<TraceId, uint64_t, TraceIdHash> hits_;
  size_t limit_;
  size_t counted_ = 0;  // hits_.size() when threshold_ was worked out
  uint64_t threshold_ = 0;
};

bool SegmentMayMatch(const SegmentReader& seg, const SpanFilter& filter) {
  const SegmentMeta& m = seg.meta();
  if (m.spans == 0 || m.max_start < filter.start_min_nanos ||
      m.min_start > filter.start_max_nanos) {
    return false;
  }
  if (!filter.service.empty() && !seg.dicts().services.Find(filter.service)) return false;
  if (!filter.operation.empty() && !seg.dicts().names.Find(filter.operation)) return false;
  return true;
}

bool RowGroupMayMatch(const SegmentReader& seg, const RowGroupInfo& rg, const SpanFilter& filter) {
  if (rg.max_start < filter.start_min_nanos || rg.min_start > filter.start_max_nanos) return false;
  if (filter.min_duration_nanos && rg.max_duration < *filter.min_duration_nanos) return false;
  if (filter.status && !(rg.statuses & (1u << (static_cast<unsigned>(*filter.status) & 7))))
    return false;
  if (filter.kind && !(rg.kinds & (1u << (static_cast<unsigned>(*filter.kind) & 7)))) return false;
  if (filter.linked_trace && !(rg.extras & kExtrasLinks)) return false;
  if (filter.service.empty()) return true;
  std::optional<uint32_t> service = seg.dicts().services.Find(filter.service);
  return service &&
         std::find(rg.services.begin(), rg.services.end(), *service) != rg.services.end();
}

// Whether a resource of the segment carries tag `key` = `value`: resources
// are segment-wide (the footer's origins), so such a tag rules out no row
// group of it.
bool AnyResourceHasTag(const SegmentReader& seg, std::string_view key, std::string_view value) {
  const StringDict& origins = seg.dicts().origins;
  for (uint32_t o = 0; o < origins.size(); ++o) {
    Arena scratch;
    ResourceSpans rs;
    ScopeSpans ss;
    if (!DecodeOrigin(origins.Get(o), scratch, &rs, &ss)) return true;  // cannot tell
    const AnyValue* v = FindAttribute(rs.resource.attributes, key);
    if (v != nullptr && ValueToString(*v) == value) return true;
  }
  return false;
}

// Whether `value` could be the string form of a cell that is not a string
// (an int, a double, including "inf" and "nan", or a bool): no string
// dictionary can rule such a value out.
bool CouldBeNonStringForm(std::string_view value) {
  if (value.empty() || value == "true" || value == "false") return true;
  double d;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), d);
  return end == value.data() + value.size() &&
         (error == std::errc() || error == std::errc::result_out_of_range);
}

// The row groups of a segment a search reads, ascending, and the tags to
// look up in each one's string dictionary before reading it.
struct RowGroupPlan {
  std::vector<uint32_t> groups;
  struct DictionaryTag {
    size_t tag;
    // The groups where an event has the key (from the index), or all
    // groups (nullopt: no index) — the others need no look at their events.
    std::optional<std::vector<uint32_t>> on_events;
  };
  std::vector<DictionaryTag> dictionary_tags;
  // The groups where an event has one of the filter's keys (nullopt: any
  // group may): elsewhere a search need not read the events at all.
  std::optional<std::vector<uint32_t>> event_groups;
  bool NeedsEvents(uint32_t group) const {
    return !event_groups || std::binary_search(event_groups->begin(), event_groups->end(), group);
  }
  // The tags no resource of the segment carries, with the groups where an
  // event has the key (from the index; none without one): in a group
  // outside those, only a span's own cells can hold the tag, and the read
  // drops the rows without one (RowPredicate::attributes).
  struct RowTag {
    size_t tag;
    std::vector<uint32_t> on_events;
  };
  std::vector<RowTag> row_tags;
  void AddRowConditions(uint32_t group, const SpanFilter& filter, const TableDicts& dicts,
                        RowPredicate* rows) const {
    rows->attributes.clear();
    for (const RowTag& t : row_tags) {
      if (std::binary_search(t.on_events.begin(), t.on_events.end(), group)) continue;
      const auto& [key, value] = filter.tags[t.tag];
      if (std::optional<uint32_t> id = dicts.keys.Find(key))
        rows->attributes.push_back({*id, value});
    }
  }
};

// Each tag no resource carries narrows the groups: to those the attribute
// index (format 4) lists for its (key, value), or, for a key too varied to
// be indexed by value, to those holding the key, whose dictionaries are
// then looked into. Without an index every group is a candidate, looked
// into by dictionary. Dictionaries hold only string cells: a value that
// could be a number's or a bool's string form is never ruled out by one.
Result<RowGroupPlan> PlanRowGroups(const SegmentReader& seg, const SpanFilter& filter) {
  RowGroupPlan plan;
  plan.groups.resize(seg.footer().row_groups.size());
  for (uint32_t g = 0; g < plan.groups.size(); ++g) plan.groups[g] = g;
  if (filter.tags.empty()) return plan;
  Result<std::shared_ptr<const AttributeIndex>> index = seg.ReadAttributeIndex();
  if (!index.ok()) return index.status();
  if (*index != nullptr) plan.event_groups.emplace();
  // One span must match every condition: with a service, only that
  // service's spans count, and the index has their entries (version 5).
  auto find = [&](std::string_view key, std::string_view value) {
    return filter.service.empty() ? (*index)->Find(key, value)
                                  : (*index)->FindForService(filter.service, key, value);
  };
  for (size_t i = 0; i < filter.tags.size(); ++i) {
    const auto& [key, value] = filter.tags[i];
    if (*index != nullptr) {
      std::span<const uint32_t> on = find(key, value).on_events;
      std::vector<uint32_t> either;
      std::set_union(plan.event_groups->begin(), plan.event_groups->end(), on.begin(), on.end(),
                     std::back_inserter(either));
      plan.event_groups = std::move(either);
    }
    if (AnyResourceHasTag(seg, key, value)) continue;
    bool exact = false;
    std::optional<std::vector<uint32_t>> on_events;
    if (*index != nullptr) {
      AttributeIndex::Candidates c = find(key, value);
      plan.row_tags.push_back({i, {c.on_events.begin(), c.on_events.end()}});
      std::vector<uint32_t> both;
      std::set_intersection(plan.groups.begin(), plan.groups.end(), c.groups.begin(),
                            c.groups.end(), std::back_inserter(both));
      plan.groups = std::move(both);
      exact = c.exact;
      on_events.emplace(c.on_events.begin(), c.on_events.end());
    }
    if (!exact && !CouldBeNonStringForm(value) && on_events) {
      // A key too varied for the index (a user ID) may have value postings
      // (format 7): the groups where the string is on the service's spans.
      // Events with the key, and complex values, are looked into as well.
      Result<std::optional<std::vector<uint32_t>>> held =
          seg.ValueGroups(key, value, filter.service);
      if (!held.ok()) return held.status();
      if (*held) {
        std::vector<uint32_t> candidates = std::move(**held);
        candidates.insert(candidates.end(), on_events->begin(), on_events->end());
        const auto& groups = seg.footer().row_groups;
        for (uint32_t g = 0; g < groups.size(); ++g) {
          if (groups[g].columns[kAttrComplex].raw_size > 0) candidates.push_back(g);
        }
        std::sort(candidates.begin(), candidates.end());
        std::vector<uint32_t> both;
        std::set_intersection(plan.groups.begin(), plan.groups.end(), candidates.begin(),
                              candidates.end(), std::back_inserter(both));
        plan.groups = std::move(both);
      }
    }
    if (!exact && !CouldBeNonStringForm(value)) {
      plan.dictionary_tags.push_back({i, std::move(on_events)});
    }
  }
  return plan;
}

Result<bool> MayHaveTagValues(const SegmentReader& seg, uint32_t group, const SpanFilter& filter,
                              const std::vector<RowGroupPlan::DictionaryTag>& dictionary_tags) {
  for (const auto& [i, on_events] : dictionary_tags) {
    bool events = !on_events || std::binary_search(on_events->begin(), on_events->end(), group);
    Result<bool> may =
        seg.MayHaveStringValue(group, filter.tags[i].first, filter.tags[i].second, events);
    if (!may.ok() || !*may) return may;
  }
  return true;
}

// A span whose parent was not among the rows scanned with it (the parent
// sits in another segment or head): resolved afterwards by trace ID.
struct UnresolvedParent {
  TraceId trace_id;
  SpanId parent;
  std::string child_service;
  uint64_t duration = 0;
  bool error = false;
  bool consumer = false;
};

// The service map being gathered: edges by (caller, callee), nodes by service.
struct GraphBuilder {
  std::map<std::pair<std::string, std::string>, DependencyLink> links;
  std::map<std::string, ServiceGraph::Node> services;

  void AddCall(std::string parent, std::string child, uint64_t duration, bool error,
               bool consumer) {
    DependencyLink& l = links[{parent, child}];
    if (l.call_count == 0) {
      l.parent = std::move(parent);
      l.child = std::move(child);
    }
    ++l.call_count;
    l.error_count += error ? 1 : 0;
    l.messaging_count += consumer ? 1 : 0;
    l.latency.Add(duration);
  }

  // The calls of the table being counted, by (parent, child) service ids,
  // merged into `links` by name once per table: a pair of strings built and
  // compared per call was a fifth of a service map over 10M spans.
  absl::flat_hash_map<uint64_t, DependencyLink> table_links;
  // Span ID -> service id within the trace being counted (kept, cleared).
  absl::flat_hash_map<uint64_t, uint32_t> trace_services;

  void AddTableCall(uint32_t parent, uint32_t child, uint64_t duration, bool error, bool consumer) {
    DependencyLink& l = table_links[(uint64_t(parent) << 32) | child];
    ++l.call_count;
    l.error_count += error ? 1 : 0;
    l.messaging_count += consumer ? 1 : 0;
    l.latency.Add(duration);
  }
  void FlushTableCalls(const StringDict& names) {
    for (auto& [pair, from] : table_links) {
      std::string parent(names.Get(uint32_t(pair >> 32))), child(names.Get(uint32_t(pair)));
      DependencyLink& l = links[{parent, child}];
      if (l.call_count == 0) {
        l.parent = std::move(parent);
        l.child = std::move(child);
      }
      l.call_count += from.call_count;
      l.error_count += from.error_count;
      l.messaging_count += from.messaging_count;
      l.latency.Merge(from.latency);
    }
    table_links.clear();
  }
};

constexpr uint8_t kErrorStatus = static_cast<uint8_t>(StatusCodeValue::kError);
constexpr uint8_t kConsumerKind = static_cast<uint8_t>(SpanKind::kConsumer);

uint64_t RowDuration(const SpanTable& t, uint32_t row) {
  return t.end[row] > t.start[row] ? t.end[row] - t.start[row] : 0;
}

// Counts parent -> child service calls within one trace's `rows`.
// `nodes`: per service id of `t`, its span and error counts (names are
// attached once per table, in FlushNodes, not per span).
void CountLinks(const SpanTable& t, std::span<const uint32_t> rows, uint64_t start, uint64_t end,
                GraphBuilder* graph, std::vector<ServiceGraph::Node>* nodes,
                std::vector<UnresolvedParent>* unresolved) {
  auto& service_of = graph->trace_services;
  service_of.clear();
  for (uint32_t row : rows) service_of[t.span_id[row].Key()] = t.service[row];
  const StringDict& services = t.dicts().services;
  for (uint32_t row : rows) {
    if (t.start[row] < start || t.start[row] > end) continue;
    bool error = t.status[row] == kErrorStatus;
    ServiceGraph::Node& node = (*nodes)[t.service[row]];
    ++node.spans;
    node.errors += error ? 1 : 0;
    if (t.parent_span_id[row].IsZero()) continue;
    auto it = service_of.find(t.parent_span_id[row].Key());
    bool consumer = t.kind[row] == kConsumerKind;
    if (it == service_of.end()) {
      unresolved->push_back({t.trace_id[row], t.parent_span_id[row],
                             std::string(services.Get(t.service[row])), RowDuration(t, row), error,
                             consumer});
    } else if (it->second != t.service[row]) {
      graph->AddTableCall(it->second, t.service[row], RowDuration(t, row), error, consumer);
    }
  }
}

// Merges a table's counts into the graph by name: its nodes and its calls.
void FlushNodes(const SpanTable& t, const std::vector<ServiceGraph::Node>& nodes,
                GraphBuilder* graph) {
  graph->FlushTableCalls(t.dicts().services);
  for (uint32_t id = 0; id < nodes.size(); ++id) {
    if (nodes[id].spans == 0) continue;
    ServiceGraph::Node& node = graph->services[std::string(t.dicts().services.Get(id))];
    node.spans += nodes[id].spans;
    node.errors += nodes[id].errors;
  }
}

void CountLinksSorted(const SpanTable& t, uint64_t start, uint64_t end, GraphBuilder* graph,
                      std::vector<UnresolvedParent>* unresolved) {
  std::vector<ServiceGraph::Node> nodes(t.dicts().services.size());
  std::vector<uint32_t> rows;
  for (uint32_t row = 0; row <= t.rows(); ++row) {
    if (row == t.rows() || (!rows.empty() && t.trace_id[row] != t.trace_id[rows.back()])) {
      CountLinks(t, rows, start, end, graph, &nodes, unresolved);
      rows.clear();
    }
    if (row < t.rows()) rows.push_back(row);
  }
  FlushNodes(t, nodes, graph);
}

}  // namespace

Result<Traces> Store::GetTrace(const TraceId& id) const {
  Result<std::vector<Traces>> traces = GetTraces({&id, 1});
  if (!traces.ok()) return traces.status();
  return std::move(traces->front());
}

Result<std::vector<Traces>> Store::GetTraces(std::span<const TraceId> ids, const SearchReads* reads,
                                             size_t max_spans) const {
  std::vector<Traces> out(ids.size());
  size_t made = 0;  // spans materialized so far
  // Counts `rows` against the budget before they are made.
  auto room_for = [&](size_t rows) {
    made += rows;
    return made <= max_spans;
  };
  const Status too_many = Status::ResourceExhausted(
      fmt::format("store: the traces asked for hold more than {} spans", max_spans));
  bool ok = true, fits = true;
  auto from_head = [&](const HeadBlock& head) {
    for (size_t i = 0; i < ids.size() && ok && fits; ++i) {
      std::span<const uint32_t> rows = head.RowsOf(ids[i]);
      fits = room_for(rows.size());
      ok = !fits || head.table().Materialize(rows, &out[i]);
    }
  };
  Snapshot snapshot = TakeSnapshot(from_head);
  for (const auto& head : snapshot.heads) from_head(*head);
  if (!fits) return too_many;
  if (!ok) return Status::Internal("store: a head block holds an undecodable span");
  // Each wanted trace with where its answer goes, by ID: the traces of one
  // row group are then read in one pass (a search's hits often share one).
  std::vector<std::pair<TraceId, size_t>> wanted;
  for (size_t i = 0; i < ids.size(); ++i) wanted.emplace_back(ids[i], i);
  std::sort(wanted.begin(), wanted.end());
  std::vector<TraceId> group_ids;
  for (const auto& seg : snapshot.segments) {
    std::vector<std::pair<TraceId, size_t>> here;
    for (const auto& w : wanted) {
      if (seg->MayContain(w.first)) here.push_back(w);
    }
    if (here.empty()) continue;
    const auto& groups = seg->footer().row_groups;
    for (size_t g = 0; g < groups.size(); ++g) {
      auto lo =
          std::lower_bound(here.begin(), here.end(), std::pair{groups[g].first_trace, size_t(0)});
      auto hi =
          std::upper_bound(here.begin(), here.end(), std::pair{groups[g].last_trace, ids.size()});
      if (lo == hi) continue;
      auto undecodable = [&] {
        return Status::Internal(
            fmt::format("store: {}: row group {} holds an undecodable span", seg->path(), g));
      };
      // The traces a search read whole here are answered from its read;
      // the others (not there, or only here by a filter's false positive)
      // from the group.
      const SpanTable* searched = reads ? reads->Find(seg.get(), uint32_t(g)) : nullptr;
      group_ids.clear();
      for (auto it = lo; it != hi; ++it) {
        if (searched != nullptr) {
          std::vector<uint32_t> rows = SortedRowsOf(*searched, it->first);
          if (!rows.empty()) {
            if (!room_for(rows.size())) return too_many;
            if (!searched->Materialize(rows, &out[it->second])) return undecodable();
            continue;
          }
        }
        if (group_ids.empty() || group_ids.back() != it->first) group_ids.push_back(it->first);
      }
      if (group_ids.empty()) continue;
      Result<SpanTable> table = seg->ReadRowGroup(g, group_ids);
      if (!table.ok()) return Damaged(table.status());
      for (auto it = lo; it != hi; ++it) {
        if (!std::binary_search(group_ids.begin(), group_ids.end(), it->first)) continue;
        std::vector<uint32_t> rows = SortedRowsOf(*table, it->first);
        if (!room_for(rows.size())) return too_many;
        if (!table->Materialize(rows, &out[it->second])) return undecodable();
      }
    }
  }
  for (Traces& trace : out) OrderTrace(&trace);  // the same shape from every tier
  return out;
}

std::unique_ptr<TraceReader> Store::ReadTrace(const TraceId& id, size_t piece_spans) const {
  TraceReader::Sources sources;
  sources.trace_id = id;
  Snapshot snapshot = TakeSnapshot([&](const HeadBlock& head) {
    std::span<const uint32_t> rows = head.RowsOf(id);
    sources.live_rows.assign(rows.begin(), rows.end());
    sources.live_head = head_;
  });
  sources.live_mu = &mu_;
  sources.frozen_heads = std::move(snapshot.heads);
  for (auto& seg : snapshot.segments) {
    if (seg->MayContain(id)) sources.segments.push_back(std::move(seg));
  }
  return std::make_unique<TraceReader>(std::move(sources), piece_spans);
}

Result<std::vector<TraceHit>> Store::FindTraces(const SpanFilter& filter, size_t limit,
                                                SearchReads* reads, SearchOrder order) const {
  if (limit == 0) return std::vector<TraceHit>{};
  const bool newest = order == SearchOrder::kNewest;
  HitCollector hits(limit);
  auto scan_head = [&](const HeadBlock& head) {
    hits.Scan(filter, head.table(), &head.tag_summary());
  };
  Snapshot snapshot = TakeSnapshot(scan_head);
  for (const auto& head : snapshot.heads) scan_head(*head);
  std::vector<std::shared_ptr<SegmentReader>> segments = snapshot.segments;
  std::sort(segments.begin(), segments.end(),
            [](const auto& a, const auto& b) { return a->meta().max_start > b->meta().max_start; });
  // Newest data first. kFirstFound stops once `limit` traces matched: a
  // search for something common reads a few row groups. kNewest goes on
  // where a span starts after the `limit`-th newest match found so far
  // (max_start), and reads only such rows: in a compacted window, whose
  // groups each hold traces from all of it, the few groups holding its
  // newest spans. Only the columns the filter looks at are decoded.
  ColumnMask columns = kSearchColumns | (filter.tags.empty() ? 0 : kAttributeColumns) |
                       (filter.linked_trace ? ColumnBit(kExtras) : 0);
  auto done = [&](uint64_t max_start) {
    if (!newest) return hits.size() >= limit;
    uint64_t floor = hits.Threshold();
    return floor > 0 && max_start < floor;
  };
  for (const auto& seg : segments) {
    if (done(seg->meta().max_start)) break;  // segments: by max_start, descending
    if (!SegmentMayMatch(*seg, filter)) continue;
    const auto& groups = seg->footer().row_groups;
    Result<RowGroupPlan> plan = PlanRowGroups(*seg, filter);
    if (!plan.ok()) return Damaged(plan.status());
    RowPredicate rows;  // the rows the filter's span fields keep
    if (!filter.service.empty()) rows.service = seg->dicts().services.Find(filter.service);
    if (!filter.operation.empty()) rows.name = seg->dicts().names.Find(filter.operation);
    if (filter.kind) rows.kind = static_cast<uint8_t>(*filter.kind);
    if (filter.status) rows.status = static_cast<uint8_t>(*filter.status);
    rows.start_max = filter.start_max_nanos;
    rows.min_duration = filter.min_duration_nanos;
    rows.max_duration = filter.max_duration_nanos;
    KeyMask keys;  // the cells of the filter's keys only
    if (!filter.tags.empty()) {
      keys.assign(std::max<size_t>(1, seg->dicts().keys.size()), false);
      for (const auto& tag : filter.tags) {
        if (auto id = seg->dicts().keys.Find(tag.first)) keys[*id] = true;
      }
    }
    if (newest) {
      std::stable_sort(plan->groups.begin(), plan->groups.end(), [&](uint32_t a, uint32_t b) {
        return groups[a].max_start > groups[b].max_start;
      });
    }
    for (uint32_t g : plan->groups) {
      if (done(groups[g].max_start)) break;
      if (!RowGroupMayMatch(*seg, groups[g], filter)) continue;
      rows.start_min = std::max(filter.start_min_nanos, newest ? hits.Threshold() : 0);
      Result<bool> may = MayHaveTagValues(*seg, g, filter, plan->dictionary_tags);
      if (!may.ok()) return Damaged(may.status());
      if (!*may) continue;
      if (filter.linked_trace) {
        may = seg->ExtrasMayContain(g, filter.linked_trace->AsBytes());
        if (!may.ok()) return Damaged(may.status());
        if (!*may) continue;
      }
      ColumnMask group_columns = columns;
      if (!filter.linked_trace && !plan->NeedsEvents(g)) group_columns &= ~ColumnBit(kExtras);
      plan->AddRowConditions(g, filter, seg->dicts(), &rows);
      // A value of a varied key (a user ID) is on a few traces of the
      // group: read them whole, for the fetch that follows.
      if (reads != nullptr && !plan->dictionary_tags.empty() && !rows.attributes.empty()) {
        Result<std::optional<SpanTable>> whole = seg->ReadTracesHolding(g, rows);
        if (!whole.ok()) return Damaged(whole.status());
        if (*whole) {
          hits.Scan(filter, **whole);
          reads->Keep(seg, g, std::move(**whole));
          continue;
        }
      }
      Result<SpanTable> table = seg->ReadRowGroup(g, {}, group_columns, keys, &rows);
      if (!table.ok()) return Damaged(table.status());
      hits.Scan(filter, *table);
    }
  }
  return hits.Newest(limit);
}

std::vector<std::string> Store::Services() const {
  std::set<std::string> names;
  auto add = [&](const StringDict& d) {
    for (uint32_t i = 0; i < d.size(); ++i) names.emplace(d.Get(i));
  };
  Snapshot snapshot =
      TakeSnapshot([&](const HeadBlock& head) { add(head.table().dicts().services); });
  for (const auto& head : snapshot.heads) add(head->table().dicts().services);
  for (const auto& seg : snapshot.segments) add(seg->dicts().services);
  return {names.begin(), names.end()};
}

std::vector<OperationEntry> Store::Operations(std::string_view service) const {
  std::set<OperationEntry> ops;
  auto add_head = [&](const HeadBlock& head) {
    std::optional<uint32_t> id = head.table().dicts().services.Find(service);
    if (!id) return;
    for (uint64_t packed : head.operations()) {
      if ((packed >> 40) != *id) continue;
      ops.insert({std::string(head.table().dicts().names.Get(uint32_t(packed >> 8) & 0xffffffff)),
                  static_cast<SpanKind>(packed & 0xff)});
    }
  };
  Snapshot snapshot = TakeSnapshot(add_head);
  for (const auto& head : snapshot.heads) add_head(*head);
  for (const auto& seg : snapshot.segments) {
    std::optional<uint32_t> id = seg->dicts().services.Find(service);
    if (!id) continue;
    for (const Operation& op : seg->footer().operations) {
      if (op.service == *id) {
        ops.insert({std::string(seg->dicts().names.Get(op.name)), static_cast<SpanKind>(op.kind)});
      }
    }
  }
  return {ops.begin(), ops.end()};
}

// A segment's share of the service map: its calls and nodes by name, and the
// parents it could not find in its own row groups.
struct Store::SegmentGraph {
  std::map<std::pair<std::string, std::string>, DependencyLink> links;
  std::map<std::string, ServiceGraph::Node> services;
  std::vector<UnresolvedParent> unresolved;
  // Each unresolved parent costs ~100 bytes: shares are kept while all of
  // them together hold at most this many (~20 MB); the others are counted
  // at each asking.
  static constexpr size_t kMaxKeptUnresolved = 200'000;
};

namespace {

void MergeLinks(const std::map<std::pair<std::string, std::string>, DependencyLink>& from,
                GraphBuilder* graph) {
  for (const auto& [names, link] : from) {
    DependencyLink& l = graph->links[names];
    if (l.call_count == 0) {
      l.parent = link.parent;
      l.child = link.child;
    }
    l.call_count += link.call_count;
    l.error_count += link.error_count;
    l.messaging_count += link.messaging_count;
    l.latency.Merge(link.latency);
  }
}

// Counts the calls of `seg`'s row groups overlapping [from, to] into `graph`.
Status CountSegmentCalls(const SegmentReader& seg, uint64_t from, uint64_t to, GraphBuilder* graph,
                         std::vector<UnresolvedParent>* unresolved) {
  // It passes over every group once: what searches keep in the shared cache stays.
  SegmentReader::PassingReads passing;
  const auto& groups = seg.footer().row_groups;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].max_start < from || groups[g].min_start > to) continue;
    // Who called whom, when and how it ended: no attributes, events or
    // links (decoding and interning them was most of the map's time).
    constexpr ColumnMask kGraphColumns =
        kSearchColumns | ColumnBit(kSpanIds) | ColumnBit(kParents) | ColumnBit(kParentIds);
    Result<SpanTable> table = seg.ReadRowGroup(g, {}, kGraphColumns);
    if (!table.ok()) return Damaged(table.status());
    CountLinksSorted(*table, from, to, graph, unresolved);
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const Store::SegmentGraph>> Store::GraphShare(
    const SegmentReader& seg) const {
  {
    std::lock_guard lock(graph_parts_mu_);
    if (auto it = graph_parts_.find(seg.meta().id); it != graph_parts_.end()) return it->second;
  }
  GraphBuilder own;
  auto share = std::make_shared<SegmentGraph>();
  POLYTRACE_RETURN_IF_ERROR(
      CountSegmentCalls(seg, 0, std::numeric_limits<uint64_t>::max(), &own, &share->unresolved));
  share->links = std::move(own.links);
  share->services = std::move(own.services);
  {
    std::lock_guard lock(graph_parts_mu_);
    size_t n = share->unresolved.size();
    if (graph_parts_unresolved_ + n <= SegmentGraph::kMaxKeptUnresolved &&
        graph_parts_.emplace(seg.meta().id, share).second) {
      graph_parts_unresolved_ += n;
    }
  }
  return std::shared_ptr<const SegmentGraph>(std::move(share));
}

void Store::KeepGraphShares(std::vector<std::shared_ptr<SegmentReader>> segments) const {
  std::sort(segments.begin(), segments.end(),
            [](const auto& a, const auto& b) { return a->meta().max_end > b->meta().max_end; });
  for (const auto& seg : segments) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) return;
    }
    // A damaged segment is named when a query reads it.
    if (Result<std::shared_ptr<const SegmentGraph>> share = GraphShare(*seg); !share.ok()) {
      logger_->warn("store: counting the service map of {} failed: {}", seg->path(),
                    share.status().message());
    }
  }
}

void Store::ForgetGraphShares(const std::vector<uint64_t>& ids) const {
  std::lock_guard lock(graph_parts_mu_);
  for (uint64_t id : ids) {
    auto it = graph_parts_.find(id);
    if (it == graph_parts_.end()) continue;
    graph_parts_unresolved_ -= it->second->unresolved.size();
    graph_parts_.erase(it);
  }
}

Result<ServiceGraph> Store::ServiceMap(uint64_t start, uint64_t end) const {
  // Bounds the second pass: parents looked up across segments and heads.
  constexpr size_t kMaxUnresolvedTraces = 10'000;
  GraphBuilder graph;
  std::vector<UnresolvedParent> unresolved;
  auto add_head = [&](const HeadBlock& head) {
    std::vector<ServiceGraph::Node> nodes(head.table().dicts().services.size());
    for (const auto& [id, rows] : head.index())
      CountLinks(head.table(), rows, start, end, &graph, &nodes, &unresolved);
    FlushNodes(head.table(), nodes, &graph);
  };
  Snapshot snapshot = TakeSnapshot(add_head);
  for (const auto& head : snapshot.heads) add_head(*head);
  // A segment the range covers whole answers from its share (counted when
  // it was written, or at the first asking); one the range cuts is read,
  // only its row groups in range.
  for (const auto& seg : snapshot.segments) {
    const SegmentMeta& meta = seg->meta();
    if (meta.max_start < start || meta.min_start > end) continue;
    if (start > meta.min_start || end < meta.max_start) {
      POLYTRACE_RETURN_IF_ERROR(CountSegmentCalls(*seg, start, end, &graph, &unresolved));
      continue;
    }
    Result<std::shared_ptr<const SegmentGraph>> share = GraphShare(*seg);
    if (!share.ok()) return share.status();
    MergeLinks((*share)->links, &graph);
    for (const auto& [name, node] : (*share)->services) {
      ServiceGraph::Node& n = graph.services[name];
      n.spans += node.spans;
      n.errors += node.errors;
    }
    unresolved.insert(unresolved.end(), (*share)->unresolved.begin(), (*share)->unresolved.end());
  }
  // A trace's spans may sit in several segments and heads: find the parents
  // the per-source pass could not see.
  std::map<TraceId, std::vector<const UnresolvedParent*>> by_trace;
  for (const UnresolvedParent& u : unresolved) {
    if (by_trace.size() < kMaxUnresolvedTraces || by_trace.count(u.trace_id))
      by_trace[u.trace_id].push_back(&u);
  }
  for (const auto& [id, children] : by_trace) {
    // The children by their parent's ID: a big trace split over row groups
    // has thousands, and comparing each span with each was quadratic (most
    // of an 8 s service map over 10M spans holding one 84k-span trace).
    std::unordered_multimap<uint64_t, const UnresolvedParent*> by_parent;
    by_parent.reserve(children.size());
    for (const UnresolvedParent* u : children) by_parent.emplace(u->parent.Key(), u);
    // The trace a piece at a time: built whole, a million-span trace took
    // the service map 1.9 GB.
    std::unique_ptr<TraceReader> reader = ReadTrace(id);
    Traces piece;
    for (;;) {
      Result<bool> more = reader->Next(&piece);
      if (!more.ok()) return more.status();
      if (!*more) break;
      for (const ResourceSpans& rs : piece.resource_spans()) {
        std::string_view service = ServiceNameOf(rs.resource);
        for (const ScopeSpans& ss : rs.scope_spans) {
          for (const Span& s : ss.spans) {
            auto [begin, end] = by_parent.equal_range(s.span_id.Key());
            for (auto it = begin; it != end; ++it) {  // the key is the whole span ID
              const UnresolvedParent* u = it->second;
              if (u->child_service != service) {
                graph.AddCall(std::string(service), u->child_service, u->duration, u->error,
                              u->consumer);
              }
            }
          }
        }
      }
    }
  }
  ServiceGraph out;
  for (auto& [name, node] : graph.services) {
    node.service = name;
    out.services.push_back(std::move(node));
  }
  for (auto& [edge, link] : graph.links) out.links.push_back(std::move(link));
  return out;
}

StoreStats Store::Stats() const {
  StoreStats stats;
  stats.min_start_nanos = UINT64_MAX;
  auto add_head = [&](const HeadBlock& head) {
    const SpanTable& t = head.table();
    stats.head_spans += t.rows();
    stats.traces += head.index().size();
    for (uint32_t row = 0; row < t.rows(); ++row) {
      stats.min_start_nanos = std::min(stats.min_start_nanos, t.start[row]);
      stats.max_end_nanos = std::max(stats.max_end_nanos, t.end[row]);
    }
  };
  Snapshot snapshot = TakeSnapshot(add_head);
  for (const auto& head : snapshot.heads) add_head(*head);
  stats.spans = stats.head_spans;
  for (const auto& seg : snapshot.segments) {
    const SegmentMeta& m = seg->meta();
    ++stats.segments;
    stats.segment_bytes += seg->file_bytes();
    stats.spans += m.spans;
    stats.traces += m.traces;
    if (m.spans > 0) {
      stats.min_start_nanos = std::min(stats.min_start_nanos, m.min_start);
      stats.max_end_nanos = std::max(stats.max_end_nanos, m.max_end);
    }
  }
  if (stats.spans == 0) stats.min_start_nanos = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.directory + "/wal", ec)) {
    stats.wal_bytes += entry.file_size(ec);
  }
  {
    std::shared_lock lock(mu_);
    stats.damaged = damaged_;
  }
  return stats;
}

}  // namespace polytrace::store

namespace polytrace::store {
namespace {

// Collects resource attribute names or one key's values from origins.
void ScanOrigins(const StringDict& origins, const std::function<void(const Resource&)>& fn) {
  for (uint32_t i = 0; i < origins.size(); ++i) {
    Arena scratch;
    ResourceSpans rs;
    ScopeSpans ss;
    if (DecodeOrigin(origins.Get(i), scratch, &rs, &ss)) fn(rs.resource);
  }
}

using ValueSet = std::set<std::pair<std::string, std::string>>;  // (string form, type)

// The values of span attribute `key` in `t`'s cells, until `into` holds `cap`.
void AddCellValues(const SpanTable& t, std::string_view key, size_t cap, ValueSet* into) {
  std::optional<uint32_t> id = t.dicts().keys.Find(key);
  if (!id) return;
  Arena scratch;
  for (uint32_t c = 0; c < t.attr_key.size() && into->size() < cap; ++c) {
    if (t.attr_key[c] != *id) continue;
    AnyValue v = t.CellValue(c, scratch);
    if (v.type != ValueType::kEmpty) into->emplace(ValueToString(v), ValueTypeName(v.type));
  }
}

// The columns a span attribute's values are decoded from, with those every
// read decodes (a row's place: its trace, times, service, status); not the
// span IDs, parents and extras, the bulk of a group.
constexpr ColumnMask kAttributeValueColumns =
    kSearchColumns | (kAttributeColumns & ~ColumnBit(kExtras));

// Up to `limit` distinct values of span attribute `key` (id `key_id`) in
// the row groups of `seg` overlapping [start, end]. Only the groups the
// attribute index says hold the key are read, and of those only the
// attribute columns and the key's cells (a whole-group decode made a
// Grafana tag-values call take 8 s over 12M spans). A segment never
// changes: its whole answer is remembered for the next asking.
Result<std::vector<std::pair<std::string, std::string>>> SegmentAttributeValues(
    const SegmentReader& seg, std::string_view key, uint32_t key_id, size_t limit, uint64_t start,
    uint64_t end) {
  const bool whole = start <= seg.meta().min_start && end >= seg.meta().max_end;
  if (whole) {
    std::shared_ptr<const SegmentReader::KeyValues> kept = seg.RememberedValues(key);
    if (kept && (kept->complete || kept->values.size() >= limit)) {
      size_t n = std::min(limit, kept->values.size());
      return std::vector<std::pair<std::string, std::string>>(kept->values.begin(),
                                                              kept->values.begin() + n);
    }
  }
  const auto& groups = seg.footer().row_groups;
  std::vector<uint32_t> candidates;
  Result<std::shared_ptr<const AttributeIndex>> index = seg.ReadAttributeIndex();
  if (!index.ok()) return index.status();
  if (*index) {
    std::span<const uint32_t> present = (*index)->Presence(key);
    candidates.assign(present.begin(), present.end());
  } else {
    for (uint32_t g = 0; g < groups.size(); ++g) candidates.push_back(g);
  }
  KeyMask keys(std::max<size_t>(1, seg.dicts().keys.size()), false);
  keys[key_id] = true;
  SegmentReader::PassingReads passing;  // many groups once: the searches' cache stays
  ValueSet found;
  for (uint32_t g : candidates) {
    if (found.size() >= limit) break;
    // Spans overlapping the range (a skewed one, ending before it starts,
    // by its start).
    if (std::max(groups[g].max_end, groups[g].max_start) < start || groups[g].min_start > end) {
      continue;
    }
    Result<SpanTable> table = seg.ReadRowGroup(g, {}, kAttributeValueColumns, keys);
    if (!table.ok()) return table.status();
    AddCellValues(*table, key, limit, &found);
  }
  auto kept = std::make_shared<SegmentReader::KeyValues>();
  kept->values.assign(found.begin(), found.end());
  kept->complete = found.size() < limit;
  if (whole) seg.RememberValues(key, kept);
  return kept->values;
}

}  // namespace

Store::TagNames Store::AttributeNames() const {
  std::set<std::string> span, resource;
  auto add = [&](const TableDicts& d) {
    for (uint32_t i = 0; i < d.keys.size(); ++i) span.emplace(d.keys.Get(i));
    ScanOrigins(d.origins, [&](const Resource& r) {
      for (const KeyValue& kv : r.attributes) resource.emplace(kv.key);
    });
  };
  Snapshot snapshot = TakeSnapshot([&](const HeadBlock& head) { add(head.table().dicts()); });
  for (const auto& head : snapshot.heads) add(head->table().dicts());
  for (const auto& seg : snapshot.segments) add(seg->dicts());
  return {{span.begin(), span.end()}, {resource.begin(), resource.end()}};
}

Result<std::vector<std::pair<std::string, std::string>>> Store::AttributeValues(
    std::string_view key, bool span_scope, size_t limit, uint64_t start_nanos,
    uint64_t end_nanos) const {
  ValueSet values;
  auto full = [&] { return values.size() >= limit; };
  auto scan_origins = [&](const StringDict& origins) {
    ScanOrigins(origins, [&](const Resource& r) {
      const AnyValue* v = FindAttribute(r.attributes, key);
      if (v != nullptr && v->type != ValueType::kEmpty && !full()) {
        values.emplace(ValueToString(*v), ValueTypeName(v->type));
      }
    });
  };
  auto scan_head = [&](const HeadBlock& head) {
    if (span_scope) {
      AddCellValues(head.table(), key, limit, &values);
    } else {
      scan_origins(head.table().dicts().origins);
    }
  };
  Snapshot snapshot = TakeSnapshot(scan_head);
  for (const auto& head : snapshot.heads) scan_head(*head);
  std::sort(snapshot.segments.begin(), snapshot.segments.end(),
            [](const auto& a, const auto& b) { return a->meta().max_end > b->meta().max_end; });
  for (const auto& seg : snapshot.segments) {
    if (full()) break;
    const SegmentMeta& meta = seg->meta();
    if (meta.spans == 0 || std::max(meta.max_end, meta.max_start) < start_nanos ||
        meta.min_start > end_nanos) {
      continue;
    }
    if (!span_scope) {
      scan_origins(seg->dicts().origins);
      continue;
    }
    std::optional<uint32_t> key_id = seg->dicts().keys.Find(key);
    if (!key_id) continue;
    Result<std::vector<std::pair<std::string, std::string>>> found =
        SegmentAttributeValues(*seg, key, *key_id, limit, start_nanos, end_nanos);
    if (!found.ok()) return Damaged(found.status());
    for (auto& [value, type] : *found) {
      if (full()) break;
      values.emplace(std::move(value), std::move(type));
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [value, type] : values) out.emplace_back(type, value);
  return out;
}

}  // namespace polytrace::store

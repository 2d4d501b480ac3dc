// What a search asks of a span; a trace matches when one of its spans
// matches every condition (Jaeger's search semantics).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/traces.h"

namespace polytrace::store {

struct SpanFilter {
  std::string service;    // empty: any
  std::string operation;  // span name; empty: any
  std::optional<SpanKind> kind;
  std::optional<StatusCodeValue> status;
  // key = value on the span's attributes, its resource's, or one of its
  // events' (Jaeger's tags, process tags and log fields); values compared
  // in their string form ("true", "42").
  std::vector<std::pair<std::string, std::string>> tags;
  std::optional<uint64_t> min_duration_nanos;
  std::optional<uint64_t> max_duration_nanos;
  // The span links to a span of this trace (back-links: who points here).
  std::optional<TraceId> linked_trace;
  uint64_t start_min_nanos = 0;  // span start within [min, max]
  uint64_t start_max_nanos = UINT64_MAX;
};

struct TraceHit {
  TraceId trace_id;
  uint64_t start_nanos = 0;  // the latest matching span's start
};

// Which traces a search returns when more than its limit match.
enum class SearchOrder {
  // Exactly the newest: those whose latest matching span starts last (ties:
  // the smaller trace ID), as Jaeger's stores answer. Data that cannot hold
  // a newer match than the ones found is skipped (by its latest start), but
  // a compacted window keeps its traces in ID order: every row group holding
  // any of its newest spans is looked at.
  kNewest,
  // Any of them, the newest data read first, the search stopping once it
  // has enough (Tempo's search, "is there any", candidates to look into).
  kFirstFound,
};

inline std::vector<TraceId> TraceIdsOf(const std::vector<TraceHit>& hits) {
  std::vector<TraceId> ids;
  ids.reserve(hits.size());
  for (const TraceHit& hit : hits) ids.push_back(hit.trace_id);
  return ids;
}

}  // namespace polytrace::store

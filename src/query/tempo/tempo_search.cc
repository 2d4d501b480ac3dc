// GET /api/search: TraceQL over the store. The query's required conditions
// narrow candidate traces in the store (newest first); each candidate is
// assembled and evaluated; the first `limit` matches are returned with up
// to `spss` matched spans each, in Tempo's response shape. With Tempo's
// `with (most_recent=true)` hint, the `limit` matches that start last,
// newest first.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "otlp/json_writer.h"
#include "query/found_traces.h"
#include "query/query_params.h"
#include "query/tempo/tempo_api.h"
#include "query/traceql/evaluator.h"
#include "query/traceql/parser.h"
#include "query/traceql/semconv_aliases.h"

namespace polytrace::query {
namespace {

using analysis::AssembledSpan;
using analysis::AssembledTrace;
using analysis::AssembleTrace;

constexpr int64_t kDefaultLimit = 20;
constexpr int64_t kDefaultSpansPerSpanset = 3;
// Tempo's query_frontend.search.max_spans_per_span_set default: more is a
// 400, as there (each spanset carries up to spss spans of its trace).
constexpr int64_t kMaxSpansPerSpanset = 100;
// Candidates examined per search: bounds the work of a query whose
// conditions the store cannot narrow.
constexpr size_t kMaxCandidates = 20'000;

HttpResponse BadRequest(std::string message) { return HttpResponse::Text(400, std::move(message)); }

void WriteAttribute(JsonWriter& w, std::string_view key, const AnyValue& v) {
  w.BeginObject();
  w.Key("key");
  w.String(key);
  w.Key("value");
  w.BeginObject();
  switch (v.type) {
    case ValueType::kInt:
      w.Key("intValue");
      w.Int64AsString(v.int_value);
      break;
    case ValueType::kDouble:
      w.Key("doubleValue");
      w.Double(v.double_value);
      break;
    case ValueType::kBool:
      w.Key("boolValue");
      w.Bool(v.bool_value);
      break;
    default:
      w.Key("stringValue");
      w.String(v.type == ValueType::kString ? v.string_value : ValueToString(v));
      break;
  }
  w.EndObject();
  w.EndObject();
}

struct SearchRequest {
  std::unique_ptr<traceql::SpansetExpr> query;
  bool most_recent = false;  // the hint most_recent=true
  store::SpanFilter filter;
  int64_t limit = kDefaultLimit;
  int64_t spans_per_spanset = kDefaultSpansPerSpanset;
  std::optional<uint64_t> min_trace_duration, max_trace_duration;
};

Status ParseRequest(const HttpRequest& request, const QueryOptions& options, SearchRequest* out) {
  QueryParams p(request.query);
  std::string q = p.Get("q").value_or("{}");
  Result<traceql::Query> parsed = traceql::ParseQuery(q);
  if (!parsed.ok())
    return Status::InvalidArgument(
        fmt::format("invalid TraceQL query: {}", parsed.status().message()));
  out->query = std::move(parsed->spansets);
  out->most_recent = parsed->BoolHint("most_recent").value_or(false);
  // The hints come from the query as written: its aliased form turns each
  // condition on such a key into a disjunction, which no single filter
  // requires. The candidate search looks the hints' keys up under either
  // generation instead (query::FindTraces).
  out->filter = traceql::RequiredSpanFilter(*out->query);
  if (options.semconv_aliases) traceql::AliasSemconvGenerations(*out->query);
  Result<NanosRange> range = ParseTempoTimeRange(p);
  if (!range.ok()) return range.status();
  auto limit = p.GetInt("limit"), spss = p.GetInt("spss");
  for (const Status* st : {&limit.status(), &spss.status()}) {
    if (!st->ok()) return *st;
  }
  // Tempo's start and end are Unix seconds; the trace must overlap them.
  if (range->start > 0) out->filter.start_min_nanos = range->start;
  if (range->end != std::numeric_limits<uint64_t>::max()) out->filter.start_max_nanos = range->end;
  if (*limit && **limit > 0) out->limit = **limit;
  if (*spss && **spss > kMaxSpansPerSpanset) {
    return Status::InvalidArgument(
        fmt::format("spans per span set exceeds {}, got {}", kMaxSpansPerSpanset, **spss));
  }
  if (*spss && **spss > 0) out->spans_per_spanset = **spss;
  for (const char* name : {"minDuration", "maxDuration"}) {
    auto d = p.GetDuration(name);
    if (!d.ok()) return d.status();
    if (*d)
      (std::string_view(name) == "minDuration" ? out->min_trace_duration
                                               : out->max_trace_duration) = (*d)->count();
  }
  return Status::Ok();
}

void WriteSpanset(JsonWriter& w, const AssembledTrace& trace, const std::vector<int>& matched,
                  int64_t spss,
                  const std::vector<std::pair<traceql::FieldKind, std::string>>& attributes) {
  w.BeginObject();
  w.Key("spans");
  w.BeginArray();
  for (size_t n = 0; n < matched.size() && int64_t(n) < spss; ++n) {
    const AssembledSpan& a = trace.spans[matched[n]];
    const Span& s = *a.span;
    w.BeginObject();
    w.Key("spanID");
    w.String(s.span_id.ToHex());
    w.Key("name");
    w.String(s.name);
    w.Key("startTimeUnixNano");
    w.Uint64AsString(s.start_time_unix_nano);
    w.Key("durationNanos");
    w.Uint64AsString(s.end_time_unix_nano > s.start_time_unix_nano
                         ? s.end_time_unix_nano - s.start_time_unix_nano
                         : 0);
    w.Key("attributes");
    w.BeginArray();
    if (const AnyValue* service = FindAttribute(a.resource->resource.attributes, kServiceNameKey)) {
      WriteAttribute(w, kServiceNameKey, *service);
    }
    for (const auto& [kind, key] : attributes) {
      const AnyValue* v = kind == traceql::FieldKind::kResourceAttribute
                              ? nullptr
                              : FindAttribute(s.attributes, key);
      if (v == nullptr && kind != traceql::FieldKind::kSpanAttribute && key != kServiceNameKey) {
        v = FindAttribute(a.resource->resource.attributes, key);
      }
      if (v != nullptr) WriteAttribute(w, key, *v);
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("matched");
  w.Uint(matched.size());
  w.EndObject();
}

void WriteTrace(JsonWriter& w, const AssembledTrace& trace, const traceql::TraceContext& ctx,
                const std::vector<int>& matched, int64_t spss,
                const std::vector<std::pair<traceql::FieldKind, std::string>>& attributes) {
  w.BeginObject();
  w.Key("traceID");
  w.String(trace.trace_id.ToHex());
  w.Key("rootServiceName");
  w.String(trace.root >= 0 ? ctx.root_service_name : "<root span not yet received>");
  w.Key("rootTraceName");
  w.String(ctx.root_name);
  w.Key("startTimeUnixNano");
  w.Uint64AsString(trace.start_nanos);
  w.Key("durationMs");
  w.Uint((trace.end_nanos - trace.start_nanos) / 1'000'000);
  w.Key("spanSet");
  WriteSpanset(w, trace, matched, spss, attributes);
  w.Key("spanSets");
  w.BeginArray();
  WriteSpanset(w, trace, matched, spss, attributes);
  w.EndArray();
  w.EndObject();
}

// With most_recent=true, Tempo's combiner keeps the `limit` matches that
// start last (a later one replaces the oldest kept) and answers them newest
// first: each is written aside until the search ends. Ties go to the
// smaller trace ID, whatever order the traces come in.
class NewestMatches {
 public:
  explicit NewestMatches(size_t limit) : limit_(limit) {}
  bool empty() const { return kept_.empty(); }
  bool full() const { return kept_.size() >= limit_; }
  // REQUIRES: !empty().
  uint64_t oldest_start() const { return kept_.back().start; }
  bool Wants(uint64_t start, const TraceId& id) const {
    return !full() || Before({start, id, 0, {}}, kept_.back());
  }
  size_t spans() const { return spans_; }
  // REQUIRES: Wants(start, id).
  void Add(uint64_t start, const TraceId& id, size_t spans, std::string json) {
    Kept k{start, id, spans, std::move(json)};
    auto at = std::upper_bound(kept_.begin(), kept_.end(), k, Before);
    spans_ += spans;
    kept_.insert(at, std::move(k));
    if (kept_.size() > limit_) {
      spans_ -= kept_.back().spans;
      kept_.pop_back();
    }
  }
  void WriteTo(JsonWriter& w) const {
    for (const Kept& k : kept_) w.Raw(k.json);
  }

 private:
  struct Kept {
    uint64_t start;
    TraceId id;
    size_t spans;
    std::string json;
  };
  static bool Before(const Kept& a, const Kept& b) {
    return a.start != b.start ? a.start > b.start : a.id < b.id;
  }
  size_t limit_;
  size_t spans_ = 0;
  std::vector<Kept> kept_;  // newest first
};

}  // namespace

HttpResponse TempoApi::Search(const HttpRequest& request) {
  SearchRequest req;
  if (Status st = ParseRequest(request, options_, &req); !st.ok()) return BadRequest(st.message());
  auto attributes = traceql::ReferencedAttributes(*req.query);
  JsonWriter w;
  w.BeginObject();
  w.Key("traces");
  w.BeginArray();
  int64_t found = 0;
  // Spans listed in the answer (up to spss a trace): past kMaxSearchAnswerSpans
  // the search stops, as a limit stops it (limit 20,000 with spss 100 over
  // wide traces made answers of hundreds of MB, whole, before a byte went).
  size_t listed = 0;
  bool full = false;
  size_t inspected = 0;
  size_t too_big = 0;  // candidates not read: bigger than kMaxTraceReadSpans
  std::set<TraceId> seen;
  NewestMatches newest(size_t(req.limit));
  // Candidates are asked for a few at a time, more each round, up to
  // kMaxCandidates: a query its required filter captures is answered from
  // the newest row groups, not after a scan of the whole store.
  size_t ask = std::min<size_t>(kMaxCandidates, std::max<size_t>(64, size_t(req.limit) * 2));
  for (;;) {
    // As Tempo's: the first traces found, the newest data read first; with
    // most_recent, the candidates whose matching spans start last, in that
    // order (a trace starts no later than its latest matching span).
    Result<std::vector<store::TraceHit>> candidates = query::FindTraces(
        store_, req.filter, ask, options_, nullptr,
        req.most_recent ? store::SearchOrder::kNewest : store::SearchOrder::kFirstFound);
    if (!candidates.ok()) return HttpResponse::Text(500, candidates.status().message());
    std::vector<TraceId> fresh;          // not inspected in an earlier round
    std::vector<uint64_t> fresh_starts;  // their latest matching span's start
    for (const store::TraceHit& hit : *candidates) {
      if (!seen.insert(hit.trace_id).second) continue;
      fresh.push_back(hit.trace_id);
      fresh_starts.push_back(hit.start_nanos);
    }
    // most_recent: the newest kept, a candidate whose matching spans start
    // before the oldest of them cannot replace it, nor can any after it.
    auto settled = [&](size_t at) {
      return req.most_recent && newest.full() && fresh_starts[at] < newest.oldest_start();
    };
    // Read in chunks of what is still missing: traces sharing a row group
    // come from one read, and none is read past the limit.
    for (size_t begin = 0; begin < fresh.size() && (req.most_recent || found < req.limit) &&
                           !full && !settled(begin);) {
      // A client that went away gets no answer: the rest is not worked out.
      if (request.ClientGone()) return HttpResponse::Text(499, "client closed the request\n");
      // At most kChunk traces in memory at once: a limit of 10^8 read all
      // 20,000 candidates at once (+660 MB over 12M spans).
      constexpr size_t kChunk = 256;
      // most_recent: a few at a time, so that the search stops soon after
      // the candidates fall behind the oldest kept (256 read 320 traces of a
      // broad query's 1M spans where it needed fewer than 100).
      constexpr size_t kNewestChunk = 32;
      size_t n = std::min({fresh.size() - begin,
                           req.most_recent ? kNewestChunk : size_t(req.limit - found), kChunk});
      // A candidate of more than kMaxTraceReadSpans spans is not read (nor
      // matched): built whole, ten million spans would take 20 GB.
      Status read = ForEachTraceWithin(
          store_, std::span<const TraceId>(fresh).subspan(begin, n), nullptr, kMaxTraceReadSpans,
          [&](size_t, const Traces& t) {
            if (full) return;
            ++inspected;
            AssembledTrace trace = AssembleTrace(t);
            if (trace.spans.empty()) return;
            uint64_t duration = trace.end_nanos - trace.start_nanos;
            if ((req.min_trace_duration && duration < *req.min_trace_duration) ||
                (req.max_trace_duration && duration > *req.max_trace_duration)) {
              return;
            }
            traceql::TraceContext ctx = traceql::MakeContext(trace);
            std::vector<int> matched = traceql::Evaluate(*req.query, ctx);
            if (matched.empty()) return;
            size_t spans = std::min(matched.size(), size_t(req.spans_per_spanset));
            if (req.most_recent) {
              if (!newest.Wants(trace.start_nanos, trace.trace_id)) return;
              if (!newest.empty() && newest.spans() + spans > kMaxSearchAnswerSpans) {
                full = true;
                return;
              }
              JsonWriter one;
              WriteTrace(one, trace, ctx, matched, req.spans_per_spanset, attributes);
              newest.Add(trace.start_nanos, trace.trace_id, spans, one.Take());
              return;
            }
            if (found > 0 && listed + spans > kMaxSearchAnswerSpans) {
              full = true;
              return;
            }
            listed += spans;
            ++found;
            WriteTrace(w, trace, ctx, matched, req.spans_per_spanset, attributes);
          },
          &too_big);
      if (!read.ok()) return HttpResponse::Text(500, read.message());
      begin += n;
    }
    if (full || candidates->size() < ask || ask >= kMaxCandidates) break;
    // Enough: the first `limit`; or, the newest kept, every candidate left
    // has its matching spans start before the oldest of them.
    if (req.most_recent ? newest.full() && candidates->back().start_nanos < newest.oldest_start()
                        : found >= req.limit) {
      break;
    }
    ask = std::min(kMaxCandidates, ask * 8);
  }
  newest.WriteTo(w);
  w.EndArray();
  w.Key("metrics");
  w.BeginObject();
  w.Key("inspectedTraces");
  w.Uint(inspected);
  if (too_big > 0) {  // polytrace's own: candidates too big to read in a search
    w.Key("skippedTraces");
    w.Uint(too_big);
  }
  w.Key("completedJobs");
  w.Int(1);
  w.Key("totalJobs");
  w.Int(1);
  w.EndObject();
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

}  // namespace polytrace::query

// Differential test of Store::FindTraces: seeded random spans, seeded random
// searches, and a brute-force oracle over the generated batches that
// implements SpanFilter's semantics directly. Every tier (the head, sealed
// segments, compacted segments, a reopened store, a head replayed from the
// WAL) must give the oracle's answer, as a set of trace IDs. A pruning or
// decoding path that goes wrong in one tier only (string tags once sealed,
// say) shows up here even when the unit tests search other fields.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/traces.h"
#include "store/engine/store.h"
#include "testing/traces_compare.h"

// Filters below name only the fields they set (designated initializers).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace polytrace::store {
namespace {

// Far above any answer: the order and the limit of FindTraces never matter.
constexpr size_t kNoLimit = 1'000'000;
// Unoptimized and sanitized builds read segments 20-50x slower: fewer
// searches there (memory errors and races show with any); release builds
// run all. (The TSan build is optimized: the full set took 6 of its 7
// minutes.)
#if defined(NDEBUG) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
constexpr size_t kQueriesPerSeed = 400;
constexpr size_t kSmallDomain = 16;        // a key with at most this many values: each searched
constexpr size_t kTagQueriesPerLabel = 4;  // values searched per kind of tag
constexpr size_t kTraceSamples = 25;       // traces fetched whole per tier
#else
constexpr size_t kQueriesPerSeed = 40;
constexpr size_t kSmallDomain = 1;
constexpr size_t kTagQueriesPerLabel = 1;
constexpr size_t kTraceSamples = 10;
#endif
constexpr size_t kBatches = 6;
constexpr uint64_t kMinuteNanos = 60'000'000'000ull;
constexpr uint64_t kBatchNanos = 10 * kMinuteNanos;             // each batch: the next 10 minutes
constexpr uint64_t kCompactionWindowNanos = 20 * kMinuteNanos;  // two batches per window
// Nov 2023, on a window boundary: every window is long closed.
constexpr uint64_t kBaseNanos = 1'416'667 * kCompactionWindowNanos;
// How each batch's spans look; each batch is one segment once sealed, so
// segments of different shapes meet the pruning paths.
struct BatchProfile {
  size_t weight;     // share of the spans, in eighths
  double density;    // how many of the optional attributes a span carries
  bool varied_keys;  // request.id and load.avg on most spans
  // Feature flags under 200 keys: a segment with more than 128 keys, whose
  // rows a search walks cell by cell (with fewer, key ids are bytes and
  // walked as byte ranges).
  bool many_keys = false;
};
constexpr BatchProfile kProfiles[kBatches] = {
    {1, 1.0, false},   // rich: every kind of cell meets in a row group
    {1, 0.15, false},  // sparse: per-key dictionaries of one or two values
    {1, 1.0, false, /*many_keys=*/true},
    {1, 0.05, false},
    {1, 0.5, false},
    // A sparse burst: a segment big enough that its varied keys are indexed
    // by presence only (searches fall back to dictionaries), in row groups
    // mostly without complex cells (which would rule out no group).
    {3, 0.1, true}};

// ---------------------------------------------------------------------------
// Generated data

// A span with the resource it was sent under (pointers into a DataSet's batches).
struct SpanRef {
  const Resource* resource;
  const Span* span;
};

struct DataSet {
  std::vector<Traces> batches;  // appended in order, each a time slice
  std::map<TraceId, size_t> spans_per_trace;
  std::vector<SpanRef> spans;
};

struct ResourceSpec {
  std::string service, host, environment;
  int64_t pid = 0;
  bool command_args = false;  // an array-valued resource attribute
};

// A batch built span by span, one ResourceSpans per resource and one
// ScopeSpans per scope under it.
class BatchBuilder {
 public:
  // The returned span must be filled in before the next call (which may move it).
  Span& AddSpan(const std::vector<ResourceSpec>& resources, size_t resource, size_t scope) {
    Arena& a = traces_.arena();
    auto [it, fresh] = where_.try_emplace({resource, scope});
    if (fresh) {
      if (!rs_index_.contains(resource)) {
        rs_index_[resource] = traces_.resource_spans().size();
        AddResource(resources[resource]);
      }
      ResourceSpans& rs = traces_.resource_spans()[rs_index_[resource]];
      it->second = {rs_index_[resource], rs.scope_spans.size()};
      ScopeSpans& ss = rs.scope_spans.Append(a);
      ss.scope.name = kScopes[scope].first;
      ss.scope.version = kScopes[scope].second;
    }
    auto [r, s] = it->second;
    return traces_.resource_spans()[r].scope_spans[s].spans.Append(a);
  }
  Arena& arena() { return traces_.arena(); }
  Traces Take() { return std::move(traces_); }

  static constexpr std::pair<std::string_view, std::string_view> kScopes[] = {
      {"io.opentelemetry.http", "1.32.0"},
      {"io.opentelemetry.jdbc", "1.32.0"},
      {"io.opentelemetry.grpc", "0.9.1"},
      {"custom.tracer", ""}};

 private:
  void AddResource(const ResourceSpec& spec) {
    Arena& a = traces_.arena();
    Attributes& attrs = traces_.resource_spans().Append(a).resource.attributes;
    attrs.Append(a, {kServiceNameKey, AnyValue::String(a.Copy(spec.service))});
    attrs.Append(a, {"host.name", AnyValue::String(a.Copy(spec.host))});
    attrs.Append(a, {"deployment.environment", AnyValue::String(a.Copy(spec.environment))});
    attrs.Append(a, {"process.pid", AnyValue::Int(spec.pid)});
    if (spec.command_args) {
      AnyValue args;
      args.type = ValueType::kArray;
      args.array_value.Append(a, AnyValue::String("java"));
      args.array_value.Append(a, AnyValue::String(a.Copy("-Dhost=" + spec.host)));
      attrs.Append(a, {"process.command_args", args});
    }
  }

  Traces traces_;
  std::map<size_t, size_t> rs_index_;                                     // resource -> position
  std::map<std::pair<size_t, size_t>, std::pair<size_t, size_t>> where_;  // (resource, scope)
};

// Random spans shaped like real SDK output: every attribute type, keys
// reused across types, events, links, traces split across batches.
class DataGenerator {
 public:
  explicit DataGenerator(uint64_t seed) : rng_(seed) {}

  DataSet Generate(size_t target_spans) {
    MakeResources();
    std::vector<BatchBuilder> builders(kBatches);
    size_t weight = 0;
    for (size_t b = 0; b < kBatches; ++b) {
      weight += kProfiles[b].weight;
      size_t until = target_spans * weight / 8;
      while (data_.spans_per_trace.empty() || spans_ < until) AddTrace(builders, b);
    }
    for (BatchBuilder& b : builders) data_.batches.push_back(b.Take());
    for (const Traces& t : data_.batches) {
      for (const ResourceSpans& rs : t.resource_spans()) {
        for (const ScopeSpans& ss : rs.scope_spans) {
          for (const Span& s : ss.spans) data_.spans.push_back({&rs.resource, &s});
        }
      }
    }
    return std::move(data_);
  }

 private:
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(0, N - 1)];
  }
  template <typename Id>
  Id RandomId() {
    Id id;
    for (uint8_t& b : id.bytes) b = static_cast<uint8_t>(Uniform(0, 255));
    id.bytes[0] |= 1;  // never all zero
    return id;
  }

  void MakeResources() {
    static constexpr std::string_view kServices[] = {"frontend", "checkout", "payment", "inventory",
                                                     "email"};
    static constexpr std::string_view kEnvironments[] = {"prod", "staging", "canary"};
    for (size_t i = 0; i < 9; ++i) {
      resources_.push_back({std::string(kServices[i % 5]), fmt::format("host-{}", Uniform(1, 7)),
                            std::string(Pick(kEnvironments)),
                            static_cast<int64_t>(Uniform(100, 110)), Chance(0.3)});
    }
  }

  // A trace of 1-12 spans starting in batch `b`'s slice; sometimes its last
  // spans arrive with the next batch (a trace split across segments).
  void AddTrace(std::vector<BatchBuilder>& builders, size_t b) {
    static constexpr std::string_view kNames[] = {
        "GET /api/cart", "POST /api/checkout", "SELECT orders", "charge", "send-email",
        "reserve",       "HTTP GET",           "process"};
    const TraceId trace = RandomId<TraceId>();
    const size_t n = Uniform(1, 12);
    const size_t split_at = b + 1 < kBatches && n > 1 && Chance(0.25) ? Uniform(1, n - 1) : n;
    const uint64_t root_start = kBaseNanos + b * kBatchNanos + Uniform(0, kBatchNanos - 1);
    std::vector<SpanId> ids;
    for (size_t i = 0; i < n; ++i) {
      BatchBuilder& builder = builders[i < split_at ? b : b + 1];
      Arena& a = builder.arena();
      Span& s = builder.AddSpan(resources_, Uniform(0, resources_.size() - 1),
                                Uniform(0, std::size(BatchBuilder::kScopes) - 1));
      s.trace_id = trace;
      s.span_id = ids.emplace_back(RandomId<SpanId>());
      if (i > 0) s.parent_span_id = ids[Uniform(0, i - 1)];
      s.name = Pick(kNames);
      s.kind = static_cast<SpanKind>(Uniform(0, 5));
      s.status.code = static_cast<StatusCodeValue>(Uniform(0, 2));
      s.start_time_unix_nano = root_start + (i == 0 ? 0 : Uniform(0, 2'000'000'000));
      s.end_time_unix_nano = s.start_time_unix_nano + RandomDuration();
      // Clock skew: now and then a span ends before it starts (searches
      // take its duration as 0).
      if (Chance(0.01)) s.end_time_unix_nano = s.start_time_unix_nano - Uniform(1, 1'000'000);
      AddSpanAttributes(a, kProfiles[i < split_at ? b : b + 1], s.attributes);
      if (Chance(0.3)) AddEvents(a, s);
      if (Chance(0.15)) AddLinks(a, s);
    }
    data_.spans_per_trace[trace] = n;
    spans_ += n;
    if (Chance(0.5)) link_targets_.push_back(trace);
  }

  // 1 µs to 10 s, log-uniform; sometimes zero.
  uint64_t RandomDuration() {
    if (Chance(0.03)) return 0;
    return static_cast<uint64_t>(std::pow(10.0, std::uniform_real_distribution(3.0, 10.0)(rng_)));
  }

  void AddSpanAttributes(Arena& a, const BatchProfile& profile, Attributes& attrs) {
    static constexpr std::string_view kRoutes[] = {"/api/cart", "/api/checkout", "/api/items/{id}",
                                                   "/health",   "/api/users",    "/login"};
    static constexpr double kRatios[] = {0.25, 0.5, 1.0, 1e-05, 3.14159, -2.5};
    auto add = [&](std::string_view key, AnyValue v) { attrs.Append(a, {key, v}); };
    auto has = [&](double p) { return Chance(p * profile.density); };
    // Keys with one value almost everywhere (a row group's dictionary for
    // them holds a single string), as SDKs attach however sparse the rest.
    if (Chance(0.7)) add("net.transport", AnyValue::String("ip_tcp"));
    if (Chance(0.6)) add("http.request.method", AnyValue::String(Chance(0.9) ? "GET" : "POST"));
    if (has(0.6)) add("http.route", AnyValue::String(Pick(kRoutes)));
    if (has(0.5)) add("user.id", AnyValue::String(a.Copy(fmt::format("user-{}", Uniform(0, 599)))));
    if (has(0.6)) {
      // Some SDKs send the status code as a string.
      int64_t code = static_cast<int64_t>(Pick({200, 404, 500}));
      add("http.response.status_code",
          Chance(0.15) ? AnyValue::String(a.Copy(std::to_string(code))) : AnyValue::Int(code));
    }
    if (has(0.3)) add("db.rows", AnyValue::Int(static_cast<int64_t>(Uniform(0, 5000)) - 5));
    if (has(0.3)) {
      add("sampling.ratio",
          AnyValue::Double(Chance(0.5) ? Pick(kRatios)
                                       : std::uniform_real_distribution(0.0, 1000.0)(rng_)));
    }
    if (has(0.02)) add("score", AnyValue::Double(NonFinite()));  // few values: indexed
    // Many values (some not finite, as a division by zero gives).
    if (profile.varied_keys && Chance(0.8)) {
      add("load.avg",
          AnyValue::Double(Chance(0.03) ? NonFinite()
                                        : std::uniform_real_distribution(0.0, 8.0)(rng_)));
    }
    if (profile.varied_keys && Chance(0.9))
      add("request.id", AnyValue::String(a.Copy(fmt::format("req-{:x}", rng_()))));
    for (int i = 0; profile.many_keys && i < 4; ++i) {
      add(a.Copy(fmt::format("feature.flag.{}", Uniform(0, 199))),
          AnyValue::String(Chance(0.5) ? "on" : "off"));
    }
    if (has(0.3)) add("cache.hit", AnyValue::Bool(Chance(0.5)));
    if (has(0.15)) add("http.request.header.accept", StringArray(a));
    if (has(0.1)) add("batch.sizes", IntArray(a));
    if (has(0.1)) add("payload.digest", Bytes(a));
    if (has(0.05)) add("request.context", KvList(a));
    if (has(0.2)) add("mixed.value", MixedValue());
    if (has(0.02)) add("empty.value", AnyValue());
  }

  double NonFinite() {
    static constexpr double kValues[] = {std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity(),
                                         std::numeric_limits<double>::quiet_NaN()};
    return Pick(kValues);
  }
  AnyValue StringArray(Arena& a) {
    static constexpr std::string_view kTypes[] = {"text/html", "application/json", "*/*"};
    AnyValue v;
    v.type = ValueType::kArray;
    for (size_t i = Uniform(1, 2); i > 0; --i)
      v.array_value.Append(a, AnyValue::String(Pick(kTypes)));
    return v;
  }
  AnyValue IntArray(Arena& a) {
    AnyValue v;
    v.type = ValueType::kArray;
    for (size_t i = Uniform(1, 3); i > 0; --i) {
      v.array_value.Append(a, AnyValue::Int(static_cast<int64_t>(Uniform(1, 4))));
    }
    return v;
  }
  AnyValue Bytes(Arena& a) {
    std::string raw(4, '\0');
    for (char& c : raw) c = static_cast<char>(Uniform(0, 3) * 85);  // few distinct values
    return AnyValue::Bytes(a.Copy(raw));
  }
  AnyValue KvList(Arena& a) {
    AnyValue v;
    v.type = ValueType::kKvList;
    v.kvlist_value.Append(a, {"tenant", AnyValue::String(Chance(0.5) ? "t1" : "t2")});
    v.kvlist_value.Append(a, {"tier", AnyValue::Int(static_cast<int64_t>(Uniform(1, 2)))});
    return v;
  }
  // One key, several types, some with the same string form ("42").
  AnyValue MixedValue() {
    switch (Uniform(0, 4)) {
      case 0: return AnyValue::String("42");
      case 1: return AnyValue::String("abc");
      case 2: return AnyValue::Int(42);
      case 3: return AnyValue::Double(42.5);
      default: return AnyValue::Bool(true);
    }
  }

  void AddEvents(Arena& a, Span& s) {
    static constexpr std::string_view kExceptions[] = {"NullPointerException", "TimeoutError",
                                                       "io.EOF", "ValueError"};
    static constexpr std::string_view kLevels[] = {"info", "warn", "error"};
    for (size_t i = Uniform(1, 3); i > 0; --i) {
      SpanEvent& e = s.events.Append(a);
      e.time_unix_nano = s.start_time_unix_nano + Uniform(0, 1000);
      e.name = Chance(0.5) ? "exception" : "log";
      auto add = [&](std::string_view key, AnyValue v) { e.attributes.Append(a, {key, v}); };
      if (Chance(0.6)) add("exception.type", AnyValue::String(Pick(kExceptions)));
      if (Chance(0.5)) add("log.level", AnyValue::String(Pick(kLevels)));
      if (Chance(0.4)) add("retry.attempt", AnyValue::Int(static_cast<int64_t>(Uniform(1, 5))));
      if (Chance(0.2)) add("backoff.seconds", AnyValue::Double(Chance(0.5) ? 0.5 : 1.5));
      if (Chance(0.1)) add("event.tags", StringArray(a));
      // Keys spans also carry, with values they do not (request.id: a key
      // some segments index by presence only).
      if (Chance(0.1)) add("request.id", AnyValue::String(a.Copy(fmt::format("req-{:x}", rng_()))));
      if (Chance(0.2))
        add("user.id", AnyValue::String(a.Copy(fmt::format("user-{}", Uniform(600, 699)))));
    }
  }

  void AddLinks(Arena& a, Span& s) {
    for (size_t i = Uniform(1, 2); i > 0; --i) {
      SpanLink& link = s.links.Append(a);
      bool known = !link_targets_.empty() && Chance(0.7);
      link.trace_id =
          known ? link_targets_[Uniform(0, link_targets_.size() - 1)] : RandomId<TraceId>();
      link.span_id = RandomId<SpanId>();
    }
  }

  std::mt19937_64 rng_;
  DataSet data_;
  size_t spans_ = 0;
  std::vector<ResourceSpec> resources_;
  std::vector<TraceId> link_targets_;
};

// ---------------------------------------------------------------------------
// The oracle: SpanFilter's semantics (span_filter.h), span by span.

bool HasTag(const Attributes& attrs, const std::string& key, const std::string& value) {
  return std::any_of(attrs.begin(), attrs.end(), [&](const KeyValue& kv) {
    return kv.key == key && ValueToString(kv.value) == value;
  });
}

bool SpanHasTag(const SpanRef& ref, const std::string& key, const std::string& value) {
  if (HasTag(ref.span->attributes, key, value) || HasTag(ref.resource->attributes, key, value)) {
    return true;
  }
  return std::any_of(ref.span->events.begin(), ref.span->events.end(),
                     [&](const SpanEvent& e) { return HasTag(e.attributes, key, value); });
}

bool SpanMatches(const SpanRef& ref, const SpanFilter& f) {
  const Span& s = *ref.span;
  if (!f.service.empty() && !HasTag(ref.resource->attributes, "service.name", f.service)) {
    return false;
  }
  if (!f.operation.empty() && s.name != f.operation) return false;
  if (f.kind && s.kind != *f.kind) return false;
  if (f.status && s.status.code != *f.status) return false;
  if (s.start_time_unix_nano < f.start_min_nanos || s.start_time_unix_nano > f.start_max_nanos) {
    return false;
  }
  uint64_t duration = s.end_time_unix_nano > s.start_time_unix_nano
                          ? s.end_time_unix_nano - s.start_time_unix_nano
                          : 0;
  if (f.min_duration_nanos && duration < *f.min_duration_nanos) return false;
  if (f.max_duration_nanos && duration > *f.max_duration_nanos) return false;
  for (const auto& [key, value] : f.tags) {
    if (!SpanHasTag(ref, key, value)) return false;
  }
  return !f.linked_trace || std::any_of(s.links.begin(), s.links.end(), [&](const SpanLink& l) {
    return l.trace_id == *f.linked_trace;
  });
}

// Every matching trace with its latest matching span's start, newest first
// (ties: the smaller trace ID first), as Jaeger orders a search's traces.
std::vector<TraceHit> OracleFind(const DataSet& data, const SpanFilter& filter) {
  std::map<TraceId, uint64_t> latest;
  for (const SpanRef& ref : data.spans) {
    if (!SpanMatches(ref, filter)) continue;
    auto [it, fresh] = latest.try_emplace(ref.span->trace_id, ref.span->start_time_unix_nano);
    if (!fresh) it->second = std::max(it->second, ref.span->start_time_unix_nano);
  }
  std::vector<TraceHit> out;
  for (const auto& [id, start] : latest) out.push_back({id, start});
  std::sort(out.begin(), out.end(), [](const TraceHit& a, const TraceHit& b) {
    return a.start_nanos != b.start_nanos ? a.start_nanos > b.start_nanos : a.trace_id < b.trace_id;
  });
  return out;
}

// ---------------------------------------------------------------------------
// Random searches

struct Query {
  std::string label;  // what the search exercises, for the failure summary
  SpanFilter filter;
  std::set<TraceId> expected;    // the oracle's answer
  std::vector<TraceHit> newest;  // the same, newest first

  void Answer(const DataSet& data) {
    newest = OracleFind(data, filter);
    expected.clear();
    for (const TraceHit& hit : newest) expected.insert(hit.trace_id);
  }
};

// Where a tag was found and its value's type: "span-string", "event-int"...
std::string TagLabel(std::string_view where, const KeyValue& kv) {
  static constexpr std::string_view kTypes[] = {"empty",  "string", "bool",  "int",
                                                "double", "bytes",  "array", "kvlist"};
  std::string label = fmt::format("{}-{}", where, kTypes[static_cast<size_t>(kv.value.type)]);
  if ((kv.key == "user.id" || kv.key == "request.id") && where == "span") label += "-highcard";
  std::string text = ValueToString(kv.value);
  if (kv.value.type == ValueType::kString && !text.empty() &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    label += "-numeric";
  }
  if (kv.value.type == ValueType::kDouble && !std::isfinite(kv.value.double_value)) {
    label += "-nonfinite";
  }
  return label;
}

// Every (where, key, value) a span can be searched by.
std::vector<std::pair<std::string, std::pair<std::string, std::string>>> TagsOf(
    const SpanRef& ref) {
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> out;
  auto add = [&](std::string_view where, const Attributes& attrs) {
    for (const KeyValue& kv : attrs) {
      out.push_back({TagLabel(where, kv), {std::string(kv.key), ValueToString(kv.value)}});
    }
  };
  add("span", ref.span->attributes);
  add("resource", ref.resource->attributes);
  for (const SpanEvent& e : ref.span->events) add("event", e.attributes);
  return out;
}

class QueryGenerator {
 public:
  QueryGenerator(const DataSet& data, uint64_t seed) : data_(data), rng_(seed ^ 0x5eed) {
    std::map<std::string, std::set<std::pair<std::string, std::string>>> tags;
    for (const SpanRef& ref : data.spans) {
      for (auto& [label, tag] : TagsOf(ref)) {
        tags[label].insert(tag);
        values_by_key_[tag.first].emplace(tag.second, label);
      }
      for (const SpanLink& l : ref.span->links) linked_.push_back(l.trace_id);
    }
    for (auto& [label, set] : tags) tags_by_label_[label].assign(set.begin(), set.end());
  }

  // Single-tag searches first: every value of each key with at most
  // `small_domain` values (a route, a method, a host: a wrongly pruned row
  // group shows whichever value it holds), and `per_label` values of every
  // kind of tag (where it sits, its type) whatever the random mix draws.
  // Then random searches up to `n`.
  std::vector<Query> Generate(size_t small_domain, size_t per_label, size_t n) {
    std::vector<Query> out;
    auto add_tag_search = [&](const std::string& label, std::pair<std::string, std::string> tag) {
      Query q{.label = "tag:" + label, .filter = {.tags = {std::move(tag)}}};
      q.Answer(data_);
      out.push_back(std::move(q));
    };
    for (const auto& [key, values] : values_by_key_) {
      if (values.size() > small_domain) continue;
      for (const auto& [value, label] : values) add_tag_search(label, {key, value});
    }
    for (auto [label, tags] : tags_by_label_) {
      std::shuffle(tags.begin(), tags.end(), rng_);
      for (size_t i = 0; i < per_label && i < tags.size(); ++i) add_tag_search(label, tags[i]);
    }
    while (out.size() < n) {
      double dice = std::uniform_real_distribution(0.0, 1.0)(rng_);
      Query q = dice < 0.5 ? SingleCondition() : dice < 0.9 ? Anchored() : TwoRandomConditions();
      q.Answer(data_);
      out.push_back(std::move(q));
    }
    return out;
  }

 private:
  size_t Index(size_t size) { return std::uniform_int_distribution<size_t>(0, size - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  const SpanRef& RandomSpan() { return data_.spans[Index(data_.spans.size())]; }

  Query SingleCondition() {
    Query q;
    double dice = std::uniform_real_distribution(0.0, 1.0)(rng_);
    if (dice < 0.6) {
      AddExistingTag(&q);
    } else if (dice < 0.7) {
      AddAbsentTag(&q);
    } else {
      AddOther(&q, Index(kOtherConditions));
    }
    return q;
  }

  Query TwoRandomConditions() {
    Query q;
    for (int i = 0; i < 2; ++i) {
      if (Chance(0.5)) {
        AddExistingTag(&q);
      } else {
        AddOther(&q, Index(kOtherConditions));
      }
    }
    q.label = "combo:" + q.label;
    return q;
  }

  void Label(Query* q, std::string_view part) {
    q->label += q->label.empty() ? std::string(part) : fmt::format("+{}", part);
  }

  void AddExistingTag(Query* q) {
    auto it = std::next(tags_by_label_.begin(), static_cast<long>(Index(tags_by_label_.size())));
    const auto& tag = it->second[Index(it->second.size())];
    q->filter.tags.push_back(tag);
    Label(q, "tag:" + it->first);
  }

  void AddAbsentTag(Query* q) {
    static constexpr std::string_view kStrangers[] = {"987654321", "-1.5e+300", "maybe",
                                                      "nope",      "[]",        "{}"};
    auto it = std::next(tags_by_label_.begin(), static_cast<long>(Index(tags_by_label_.size())));
    auto [key, value] = it->second[Index(it->second.size())];
    if (Chance(0.3)) {
      q->filter.tags.push_back({"no.such.key", value});
      Label(q, "tag:absent-key");
      return;
    }
    q->filter.tags.push_back(
        {key, Chance(0.5) ? value + "~" : std::string(kStrangers[Index(std::size(kStrangers))])});
    Label(q, "tag:absent-value");
  }

  static constexpr size_t kOtherConditions = 8;
  void AddOther(Query* q, size_t which) {
    const Span& s = *RandomSpan().span;
    switch (which) {
      case 0:
        q->filter.service = Chance(0.9) ? ServiceOf(RandomSpan()) : "no-such-service";
        return Label(q, "service");
      case 1:
        q->filter.operation = Chance(0.9) ? std::string(s.name) : "no-such-operation";
        return Label(q, "operation");
      case 2: q->filter.kind = s.kind; return Label(q, "kind");
      case 3: q->filter.status = s.status.code; return Label(q, "status");
      case 4: q->filter.min_duration_nanos = DurationOf(s); return Label(q, "min-duration");
      case 5: q->filter.max_duration_nanos = DurationOf(s); return Label(q, "max-duration");
      case 6: {
        auto [lo, hi] =
            std::minmax(s.start_time_unix_nano, RandomSpan().span->start_time_unix_nano);
        q->filter.start_min_nanos = lo;
        q->filter.start_max_nanos = hi;
        return Label(q, "time-window");
      }
      default:
        q->filter.linked_trace = !linked_.empty() && Chance(0.8) ? linked_[Index(linked_.size())]
                                                                 : RandomSpan().span->trace_id;
        return Label(q, "linked-trace");
    }
  }

  // Conditions one span satisfies (so the answer is not empty), tags
  // among them most of the time.
  Query Anchored() {
    Query q;
    const SpanRef& ref = RandomSpan();
    const Span& s = *ref.span;
    auto tags = TagsOf(ref);
    for (int i = Chance(0.5) ? 2 : 1; i > 0 && !tags.empty() && Chance(0.8); --i) {
      auto& [label, tag] = tags[Index(tags.size())];
      q.filter.tags.push_back(tag);
      Label(&q, "tag:" + label);
    }
    if (Chance(0.4)) {
      q.filter.service = ServiceOf(ref);
      Label(&q, "service");
    }
    if (Chance(0.3)) {
      q.filter.operation = std::string(s.name);
      Label(&q, "operation");
    }
    if (Chance(0.2)) {
      q.filter.kind = s.kind;
      Label(&q, "kind");
    }
    if (Chance(0.2)) {
      q.filter.status = s.status.code;
      Label(&q, "status");
    }
    if (Chance(0.25)) {
      uint64_t d = DurationOf(s);
      q.filter.min_duration_nanos = Chance(0.3) ? d : d / 2;
      if (Chance(0.5)) q.filter.max_duration_nanos = Chance(0.3) ? d : d * 2;
      Label(&q, "duration");
    }
    if (Chance(0.25)) {
      uint64_t start = s.start_time_unix_nano;
      bool exact = Chance(0.3);
      q.filter.start_min_nanos = exact ? start : start - Index(5 * kMinuteNanos);
      q.filter.start_max_nanos = exact ? start : start + Index(5 * kMinuteNanos);
      Label(&q, "time-window");
    }
    if (!s.links.empty() && (q.label.empty() || Chance(0.3))) {
      q.filter.linked_trace = s.links[Index(s.links.size())].trace_id;
      Label(&q, "linked-trace");
    }
    if (q.label.empty()) {
      q.filter.operation = std::string(s.name);
      Label(&q, "operation");
    }
    q.label = "anchored:" + q.label;
    return q;
  }

  static std::string ServiceOf(const SpanRef& ref) {
    return std::string(FindAttribute(ref.resource->attributes, kServiceNameKey)->string_value);
  }
  static uint64_t DurationOf(const Span& s) {
    return s.end_time_unix_nano > s.start_time_unix_nano
               ? s.end_time_unix_nano - s.start_time_unix_nano
               : 0;
  }

  const DataSet& data_;
  std::mt19937_64 rng_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> tags_by_label_;
  std::map<std::string, std::map<std::string, std::string>> values_by_key_;  // value -> label
  std::vector<TraceId> linked_;
};

// ---------------------------------------------------------------------------
// Comparing answers

std::string Describe(const SpanFilter& f) {
  std::vector<std::string> parts;
  if (!f.service.empty()) parts.push_back(fmt::format("service='{}'", f.service));
  if (!f.operation.empty()) parts.push_back(fmt::format("operation='{}'", f.operation));
  if (f.kind) parts.push_back(fmt::format("kind={}", static_cast<int>(*f.kind)));
  if (f.status) parts.push_back(fmt::format("status={}", static_cast<int>(*f.status)));
  for (const auto& [key, value] : f.tags) parts.push_back(fmt::format("tag {}='{}'", key, value));
  if (f.min_duration_nanos) parts.push_back(fmt::format("min_duration={}", *f.min_duration_nanos));
  if (f.max_duration_nanos) parts.push_back(fmt::format("max_duration={}", *f.max_duration_nanos));
  if (f.linked_trace) parts.push_back(fmt::format("linked_trace={}", f.linked_trace->ToHex()));
  if (f.start_min_nanos != 0 || f.start_max_nanos != UINT64_MAX) {
    parts.push_back(fmt::format("start in [{}, {}]", f.start_min_nanos, f.start_max_nanos));
  }
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

std::string FirstIds(const std::vector<TraceId>& ids) {
  std::vector<std::string> hex;
  for (size_t i = 0; i < ids.size() && i < 3; ++i) hex.push_back(ids[i].ToHex());
  return fmt::format("{}{}", fmt::join(hex, ", "), ids.size() > 3 ? ", ..." : "");
}

// What differs between the oracle's answer and the store's; empty when they
// agree (as sets: the order and the hits' start times are not compared).
std::string DescribeDifference(const std::set<TraceId>& expected,
                               const Result<std::vector<TraceHit>>& actual) {
  if (!actual.ok()) return fmt::format("search failed: {}", actual.status().message());
  std::set<TraceId> got;
  size_t duplicates = 0;
  for (const TraceHit& hit : actual.value()) duplicates += got.insert(hit.trace_id).second ? 0 : 1;
  std::vector<TraceId> missing, unexpected;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                      std::back_inserter(unexpected));
  std::vector<std::string> parts;
  if (!missing.empty()) {
    parts.push_back(
        fmt::format("missing {} of {} ({})", missing.size(), expected.size(), FirstIds(missing)));
  }
  if (!unexpected.empty()) {
    parts.push_back(fmt::format("unexpected {} ({})", unexpected.size(), FirstIds(unexpected)));
  }
  if (duplicates > 0) parts.push_back(fmt::format("{} duplicate hits", duplicates));
  return fmt::format("{}", fmt::join(parts, "; "));
}

// Runs every query against stores in several tiers and tallies mismatches
// by tier and query label.
class TierChecker {
 public:
  TierChecker(const DataSet& data, const std::vector<Query>& queries)
      : data_(data), queries_(queries) {}

  void Check(const std::string& tier, const Store& store) {
    for (const Query& q : queries_) {
      std::string diff = DescribeDifference(q.expected, store.FindTraces(q.filter, kNoLimit));
      if (!diff.empty()) failures_[{tier, q.label}].push_back(Describe(q.filter) + ": " + diff);
      CheckSearchReads(tier, store, q);
      CheckLimits(tier, store, q);
    }
    CheckTraceSizes(tier, store);
    CheckAttributeValues(tier, store);
    CheckServiceMap(tier, store);
    CheckCatalog(tier, store);
  }

  // One line per (tier, label) with mismatches, and a few examples; empty
  // when every answer matched.
  std::string Report() const {
    std::map<std::string, size_t> per_label;
    for (const Query& q : queries_) ++per_label[q.label];
    std::string out;
    for (const auto& [where, examples] : failures_) {
      // 0: not a search (the sampled traces, tag values, the service map, the catalog)
      size_t asked = per_label[where.second];
      out += fmt::format("tier {}, {}: {} of {} differ\n", where.first, where.second,
                         examples.size(), asked ? std::to_string(asked) : "its checks");
      for (size_t i = 0; i < examples.size() && i < 2; ++i) out += "    " + examples[i] + "\n";
    }
    return out;
  }

 private:
  // GetTrace returns every span generated for a sample of traces, in the
  // same shape (resource entries and span order) as from the first tier.
  void CheckTraceSizes(const std::string& tier, const Store& store) {
    size_t step = std::max<size_t>(1, data_.spans_per_trace.size() / kTraceSamples);
    size_t i = 0;
    for (const auto& [id, spans] : data_.spans_per_trace) {
      if (i++ % step != 0) continue;
      Result<Traces> trace = store.GetTrace(id);
      size_t got = trace.ok() ? trace->SpanCount() : 0;
      if (got != spans) {
        failures_[{tier, "get-trace"}].push_back(
            fmt::format("GetTrace({}) holds {} spans, {} appended", id.ToHex(), got, spans));
        continue;
      }
      // Read a few spans at a time (a streamed answer), it holds the same spans.
      std::unique_ptr<TraceReader> reader = store.ReadTrace(id, /*piece_spans=*/2);
      std::multiset<std::string> pieces;
      Traces piece;
      for (Result<bool> more = reader->Next(&piece); more.ok() && *more;
           more = reader->Next(&piece))
        pieces.merge(testing::CanonicalSpans(piece));
      if (pieces != testing::CanonicalSpans(*trace)) {
        failures_[{tier, "read-trace"}].push_back(fmt::format(
            "ReadTrace({}) gave {} spans, not GetTrace's {}", id.ToHex(), pieces.size(), spans));
      }
      std::string shape = Shape(*trace);
      auto [first, inserted] = shapes_.emplace(id, shape);
      if (!inserted && first->second != shape) {
        failures_[{tier, "get-trace shape"}].push_back(
            fmt::format("GetTrace({}) is [{}], was [{}] from the first tier", id.ToHex(), shape,
                        first->second));
      }
    }
  }

  // Tempo's tag values: each key's distinct (value, type) over the spans,
  // and over the resources, asked twice (a segment remembers its answer);
  // with a time range, at least the values of the spans starting in it and
  // none no span holds (whole row groups are read), and nothing from
  // segments wholly outside it; at most `limit`.
  void CheckAttributeValues(const std::string& tier, const Store& store) {
    using Values = std::set<std::pair<std::string, std::string>>;  // (type, value)
    std::map<std::string, Values> on_spans, on_resources, in_first_half;
    uint64_t first = std::numeric_limits<uint64_t>::max(), last = 0;
    for (const SpanRef& ref : data_.spans) {
      first = std::min(first, ref.span->start_time_unix_nano);
      last = std::max(last, ref.span->start_time_unix_nano);
    }
    const uint64_t middle = first + (last - first) / 2;
    auto add = [](const Attributes& attrs, std::map<std::string, Values>* into) {
      for (const KeyValue& kv : attrs) {
        if (kv.value.type != ValueType::kEmpty) {
          (*into)[std::string(kv.key)].emplace(TypeName(kv.value.type), ValueToString(kv.value));
        }
      }
    };
    for (const SpanRef& ref : data_.spans) {
      add(ref.span->attributes, &on_spans);
      add(ref.resource->attributes, &on_resources);
      if (ref.span->start_time_unix_nano <= middle) add(ref.span->attributes, &in_first_half);
    }
    auto values = [&](std::string_view key, bool span_scope, size_t limit, uint64_t start,
                      uint64_t end) {
      Values got;
      auto found = store.AttributeValues(key, span_scope, limit, start, end);
      if (found.ok()) got.insert(found->begin(), found->end());
      return got;
    };
    auto fail = [&](std::string what) { failures_[{tier, "tag-values"}].push_back(what); };
    constexpr uint64_t kAll = std::numeric_limits<uint64_t>::max();
    for (bool span_scope : {true, false}) {
      for (const auto& [key, expected] : span_scope ? on_spans : on_resources) {
        for (int asking = 1; asking <= 2; ++asking) {
          Values got = values(key, span_scope, kNoLimit, 0, kAll);
          if (got != expected) {
            fail(fmt::format("{} key {} (asking {}): {} values, {} expected",
                             span_scope ? "span" : "resource", key, asking, got.size(),
                             expected.size()));
          }
        }
        Values one = values(key, span_scope, 1, 0, kAll);
        if (one.size() != 1 || !expected.contains(*one.begin())) {
          fail(fmt::format("key {} with limit 1: {} values", key, one.size()));
        }
      }
    }
    const bool only_segments = tier == "sealed" || tier == "compacted" || tier == "reopened";
    for (const auto& [key, all] : on_spans) {
      Values got = values(key, true, kNoLimit, first, middle);
      const Values& wanted = in_first_half[key];
      if (!std::includes(got.begin(), got.end(), wanted.begin(), wanted.end()) ||
          !std::includes(all.begin(), all.end(), got.begin(), got.end())) {
        fail(fmt::format("key {} over the first half: {} values, {} to {} expected", key,
                         got.size(), wanted.size(), all.size()));
      }
      Values later = values(key, true, kNoLimit, last + 3'600'000'000'000, kAll);
      if (only_segments && !later.empty()) {
        fail(fmt::format("key {} after the last span: {} values", key, later.size()));
      }
    }
  }

  // The service map, over everything and over the first half of the time
  // range: the same in every tier as in the first (whether a segment's share
  // is computed or kept: each is asked twice).
  void CheckServiceMap(const std::string& tier, const Store& store) {
    uint64_t first = std::numeric_limits<uint64_t>::max(), last = 0;
    for (const SpanRef& ref : data_.spans) {
      first = std::min(first, ref.span->start_time_unix_nano);
      last = std::max(last, ref.span->start_time_unix_nano);
    }
    const std::pair<uint64_t, uint64_t> ranges[] = {{0, std::numeric_limits<uint64_t>::max()},
                                                    {first, first + (last - first) / 2}};
    for (const auto& [from, to] : ranges) {
      for (int asking = 1; asking <= 2; ++asking) {
        Result<ServiceGraph> graph = store.ServiceMap(from, to);
        std::string got = graph.ok() ? Canonical(*graph) : "error: " + graph.status().message();
        auto [expected, inserted] = service_maps_.emplace(std::make_pair(from, to), got);
        if (!inserted && expected->second != got) {
          failures_[{tier, "service-map"}].push_back(fmt::format(
              "[{}, {}] asking {}: {}, was {}", from, to, asking, got, expected->second));
        }
        if (got.find("->") == std::string::npos) {
          failures_[{tier, "service-map"}].push_back(fmt::format("no edge at all: {}", got));
        }
      }
    }
  }

  // What the UIs list before any search: the services, each service's
  // operations (name and span kind, as Jaeger's lists them) and the
  // attribute keys on spans and on resources (Tempo's tag names), exactly
  // those of the appended spans: nothing lost, nothing left over, in every
  // tier.
  void CheckCatalog(const std::string& tier, const Store& store) {
    std::set<std::string> services, span_keys, resource_keys;
    std::map<std::string, std::set<OperationEntry>> operations;
    for (const SpanRef& ref : data_.spans) {
      const AnyValue* name = FindAttribute(ref.resource->attributes, kServiceNameKey);
      std::string service(name != nullptr ? name->string_value : "");
      services.insert(service);
      operations[service].insert({std::string(ref.span->name), ref.span->kind});
      for (const KeyValue& kv : ref.span->attributes) span_keys.emplace(kv.key);
      for (const KeyValue& kv : ref.resource->attributes) resource_keys.emplace(kv.key);
    }
    auto fail = [&](std::string what) { failures_[{tier, "catalog"}].push_back(what); };
    auto listed = [](const auto& items) { return fmt::format("{}", fmt::join(items, ", ")); };
    std::vector<std::string> got_services = store.Services();
    if (std::set<std::string>(got_services.begin(), got_services.end()) != services ||
        got_services.size() != services.size()) {
      fail(fmt::format("services [{}], expected [{}]", listed(got_services), listed(services)));
    }
    for (const auto& [service, expected] : operations) {
      std::vector<OperationEntry> got = store.Operations(service);
      if (std::set<OperationEntry>(got.begin(), got.end()) != expected ||
          got.size() != expected.size()) {
        fail(fmt::format("{}: {} operations, {} expected", service, got.size(), expected.size()));
      }
    }
    if (!store.Operations("no-such-service").empty()) fail("operations of an unknown service");
    Store::TagNames names = store.AttributeNames();
    if (std::set<std::string>(names.span.begin(), names.span.end()) != span_keys) {
      fail(fmt::format("span keys [{}], expected [{}]", listed(names.span), listed(span_keys)));
    }
    if (std::set<std::string>(names.resource.begin(), names.resource.end()) != resource_keys) {
      fail(fmt::format("resource keys [{}], expected [{}]", listed(names.resource),
                       listed(resource_keys)));
    }
  }

  static std::string Canonical(const ServiceGraph& g) {
    std::map<std::string, std::string> parts;
    for (const auto& n : g.services) parts[n.service] = fmt::format("{}/{}", n.spans, n.errors);
    for (const auto& l : g.links) {
      parts[l.parent + "->" + l.child] = fmt::format("{}/{}/{}/{}", l.call_count, l.error_count,
                                                     l.messaging_count, l.latency.count());
    }
    return fmt::format("{}", parts);
  }

  static std::string TypeName(ValueType t) {
    switch (t) {
      case ValueType::kString: return "string";
      case ValueType::kInt: return "int";
      case ValueType::kDouble: return "double";
      case ValueType::kBool: return "bool";
      default: return "keyword";
    }
  }

  // With fewer traces asked for than match: in SearchOrder::kNewest (the
  // Jaeger API's), exactly the oracle's newest, in its order and with the
  // latest matching start of each, wherever the spans lie (a compacted
  // segment keeps a window's traces in ID order, not by time); in
  // kFirstFound, that many distinct matching traces.
  void CheckLimits(const std::string& tier, const Store& store, const Query& q) {
    for (size_t limit : {size_t{1}, size_t{6}}) {
      if (q.newest.size() <= limit) continue;
      Result<std::vector<TraceHit>> got = store.FindTraces(q.filter, limit);
      std::vector<std::string> want, have;
      for (size_t i = 0; i < limit; ++i) {
        want.push_back(fmt::format("{}@{}", q.newest[i].trace_id.ToHex(), q.newest[i].start_nanos));
      }
      if (got.ok()) {
        for (const TraceHit& h : *got)
          have.push_back(fmt::format("{}@{}", h.trace_id.ToHex(), h.start_nanos));
      }
      if (want != have) {
        failures_[{tier, q.label + ", newest"}].push_back(
            fmt::format("{} limit {}: [{}], expected [{}]", Describe(q.filter), limit,
                        fmt::join(have, " "), fmt::join(want, " ")));
      }
      Result<std::vector<TraceHit>> any =
          store.FindTraces(q.filter, limit, nullptr, SearchOrder::kFirstFound);
      std::set<TraceId> distinct;
      for (const TraceHit& h : any.ok() ? *any : std::vector<TraceHit>{}) {
        if (q.expected.contains(h.trace_id)) distinct.insert(h.trace_id);
      }
      if (!any.ok() || any->size() != limit || distinct.size() != limit) {
        failures_[{tier, q.label + ", first found"}].push_back(
            fmt::format("{} limit {}: {} traces, {} of them distinct matches", Describe(q.filter),
                        limit, any.ok() ? any->size() : 0, distinct.size()));
      }
    }
  }

  // The search as the Jaeger API asks it (the traces it finds read whole
  // where it can, SearchReads): the same hits, and fetched through them,
  // the same traces, span for span and in the same shape, as read afresh.
  void CheckSearchReads(const std::string& tier, const Store& store, const Query& q) {
    SearchReads reads;
    Result<std::vector<TraceHit>> hits = store.FindTraces(q.filter, kNoLimit, &reads);
    std::string diff = DescribeDifference(q.expected, hits);
    if (!diff.empty()) {
      failures_[{tier, q.label + ", reads kept"}].push_back(Describe(q.filter) + ": " + diff);
      return;
    }
    std::vector<TraceId> ids = TraceIdsOf(*hits);
    Result<std::vector<Traces>> kept = store.GetTraces(ids, &reads), fresh = store.GetTraces(ids);
    if (!kept.ok() || !fresh.ok()) {
      failures_[{tier, q.label + ", fetched"}].push_back(Describe(q.filter) + ": a fetch failed");
      return;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if (testing::CanonicalSpans((*kept)[i]) != testing::CanonicalSpans((*fresh)[i]) ||
          Shape((*kept)[i]) != Shape((*fresh)[i])) {
        failures_[{tier, q.label + ", fetched"}].push_back(
            fmt::format("{}: trace {} fetched through the search's reads differs",
                        Describe(q.filter), ids[i].ToHex()));
      }
    }
  }

  static std::string Shape(const Traces& trace) {
    std::string out;
    for (const ResourceSpans& rs : trace.resource_spans()) {
      out += fmt::format("({} resource attributes:", rs.resource.attributes.size());
      for (const ScopeSpans& ss : rs.scope_spans) {
        for (const Span& sp : ss.spans) out += " " + sp.span_id.ToHex();
      }
      out += ")";
    }
    return out;
  }

  const DataSet& data_;
  const std::vector<Query>& queries_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> failures_;
  std::map<TraceId, std::string> shapes_;  // each sampled trace's, from the first tier
  std::map<std::pair<uint64_t, uint64_t>, std::string> service_maps_;  // from the first tier
};

// ---------------------------------------------------------------------------
// The tests

std::shared_ptr<spdlog::logger> NullLogger() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

class DifferentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("store_differential_{}_{}", ::getpid(), name);
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> OpenStore(const std::string& subdir, bool seal_on_close) {
    StoreOptions options;
    options.directory = (dir_ / subdir).string();
    options.fsync = FsyncPolicy::kNever;
    options.maintenance_interval = std::chrono::hours(1);  // the test drives maintenance
    options.retention_max_age = std::chrono::milliseconds(0);
    options.compaction_max_bytes_per_second = 0;
    options.compaction_window = std::chrono::milliseconds(kCompactionWindowNanos / 1'000'000);
    options.row_group_rows = row_group_rows_;
    options.seal_on_close = seal_on_close;
    auto store = Store::Open(options, NullLogger());
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::filesystem::path dir_;
  uint32_t row_group_rows_ = 32;  // small: many row groups, so pruning decides often
};

struct SeedCase {
  uint64_t seed;
  size_t spans;
  uint32_t row_group_rows;
};
void PrintTo(const SeedCase& c, std::ostream* os) {
  *os << "seed " << c.seed << ", " << c.spans << " spans, " << c.row_group_rows << " rows a group";
}
// Small row groups hold per-key dictionaries of one or two values (the
// edge cases of dictionary pruning); big ones pack every kind of cell.
constexpr SeedCase kSeedCases[] = {{1, 720, 16}, {2, 960, 16}, {3, 1920, 64}};

class StoreDifferentialTest : public DifferentialStoreTest,
                              public ::testing::WithParamInterface<SeedCase> {};

using StoreDifferentialHarnessTest = DifferentialStoreTest;

TEST_P(StoreDifferentialTest, EveryTierAnswersAsTheOracle) {
  const uint64_t seed = GetParam().seed;
  row_group_rows_ = GetParam().row_group_rows;
  DataSet data = DataGenerator(seed).Generate(GetParam().spans);
  std::vector<Query> queries =
      QueryGenerator(data, seed).Generate(kSmallDomain, kTagQueriesPerLabel, kQueriesPerSeed);
  TierChecker checker(data, queries);

  // The head, then the same spans replayed from the WAL after a crash.
  std::unique_ptr<Store> store = OpenStore("wal", /*seal_on_close=*/false);
  ASSERT_NE(store, nullptr);
  for (const Traces& batch : data.batches) ASSERT_TRUE(store->Append(batch).ok());
  checker.Check("head", *store);
  store->Close();
  store.reset();  // and its lock on the directory
  store = OpenStore("wal", /*seal_on_close=*/false);
  ASSERT_NE(store, nullptr);
  checker.Check("wal-replay", *store);
  store.reset();

  // One segment per batch (traces split across them), then compacted per
  // window, then reopened.
  store = OpenStore("segments", /*seal_on_close=*/true);
  ASSERT_NE(store, nullptr);
  for (size_t b = 0; b < data.batches.size(); ++b) {
    ASSERT_TRUE(store->Append(data.batches[b]).ok());
    if (b + 1 == data.batches.size()) checker.Check("segments+head", *store);
    ASSERT_TRUE(store->SealHead().ok());
  }
  ASSERT_EQ(store->Stats().segments, kBatches);
  checker.Check("sealed", *store);
  ASSERT_TRUE(store->CompactAllWindows().ok());
  EXPECT_LT(store->Stats().segments, kBatches) << "compaction merged nothing";
  EXPECT_GT(store->Stats().segments, 1u) << "want windows apart: traces crossing them stay split";
  checker.Check("compacted", *store);
  store->Close();
  store.reset();  // and its lock on the directory
  store = OpenStore("segments", /*seal_on_close=*/true);
  ASSERT_NE(store, nullptr);
  checker.Check("reopened", *store);

  std::string report = checker.Report();
  EXPECT_TRUE(report.empty()) << "seed " << seed << " (" << data.spans.size() << " spans, "
                              << queries.size() << " queries):\n"
                              << report;
}

INSTANTIATE_TEST_SUITE_P(Seeds, StoreDifferentialTest, ::testing::ValuesIn(kSeedCases));

// The harness itself: a difference must be reported, or a green run proves nothing.
TEST_F(StoreDifferentialHarnessTest, DescribeDifferenceReportsMissingExtraAndDuplicateTraces) {
  TraceId a, b, c;
  a.bytes[0] = 1;
  b.bytes[0] = 2;
  c.bytes[0] = 3;
  const std::set<TraceId> expected = {a, b};
  auto hits = [](std::vector<TraceId> ids) {
    std::vector<TraceHit> out;
    for (const TraceId& id : ids) out.push_back({id, 0});
    return Result<std::vector<TraceHit>>(std::move(out));
  };
  EXPECT_EQ(DescribeDifference(expected, hits({b, a})), "");
  EXPECT_NE(DescribeDifference(expected, hits({a})).find("missing 1 of 2"), std::string::npos);
  EXPECT_NE(DescribeDifference(expected, hits({a, b, c})).find("unexpected 1"), std::string::npos);
  EXPECT_NE(DescribeDifference(expected, hits({a, b, b})).find("duplicate"), std::string::npos);
  EXPECT_NE(DescribeDifference(expected, Status::Internal("boom")).find("boom"), std::string::npos);
}

TEST_F(StoreDifferentialHarnessTest, PlantedMismatchesAreReported) {
  DataSet data = DataGenerator(7).Generate(300);
  std::vector<Query> queries = QueryGenerator(data, 7).Generate(0, 1, 100);
  std::unique_ptr<Store> store = OpenStore("planted", /*seal_on_close=*/true);
  ASSERT_NE(store, nullptr);
  for (const Traces& batch : data.batches) ASSERT_TRUE(store->Append(batch).ok());
  {
    TierChecker honest(data, queries);
    honest.Check("head", *store);
    ASSERT_EQ(honest.Report(), "") << "the head must agree before anything is planted";
  }
  // An oracle claiming one trace too many for one search, one too few for another.
  std::vector<Query> lying = queries;
  lying[0].expected.insert(TraceId::FromHex("ffffffffffffffffffffffffffffffff").value());
  auto answered = std::find_if(lying.begin() + 1, lying.end(),
                               [](const Query& q) { return !q.expected.empty(); });
  ASSERT_NE(answered, lying.end());
  answered->expected.erase(answered->expected.begin());
  TierChecker liar(data, lying);
  liar.Check("head", *store);
  const std::string report = liar.Report();
  EXPECT_NE(report.find("missing 1 of"), std::string::npos) << report;
  EXPECT_NE(report.find("unexpected 1 ("), std::string::npos) << report;

  // A store that never got the last batch.
  std::unique_ptr<Store> partial = OpenStore("partial", /*seal_on_close=*/true);
  ASSERT_NE(partial, nullptr);
  for (size_t b = 0; b + 1 < data.batches.size(); ++b) {
    ASSERT_TRUE(partial->Append(data.batches[b]).ok());
  }
  TierChecker short_store(data, queries);
  short_store.Check("partial", *partial);
  EXPECT_NE(short_store.Report().find("missing"), std::string::npos) << short_store.Report();
  EXPECT_NE(short_store.Report().find("get-trace"), std::string::npos) << short_store.Report();
}

}  // namespace
}  // namespace polytrace::store

#include "analysis/propagation_search.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "analysis/propagation_formats.h"
#include "analysis/span_facts.h"

namespace polytrace::analysis {
namespace {

constexpr size_t kCandidateTraces = 100;
// Each search reads the store; a trace with thousands of database calls
// must not turn into thousands of searches.
constexpr size_t kMaxSearches = 64;

// A root span of another trace that could have answered a call.
struct DetachedRoot {
  TraceId trace_id;
  SpanId span_id;
  std::string service;
  std::string name;
  SpanKind kind;
  uint64_t start = 0;
  std::optional<std::string> served;
  std::vector<std::pair<TraceId, SpanId>> links;
  PropagationEvidence evidence;
};

struct Window {
  uint64_t start = 0;
  uint64_t end = 0;
};

Window CallWindow(const Span& call, const AnalysisOptions& o) {
  uint64_t start = call.start_time_unix_nano > o.skew_tolerance_nanos
                       ? call.start_time_unix_nano - o.skew_tolerance_nanos
                       : 0;
  uint64_t end =
      call.kind == SpanKind::kProducer
          ? call.start_time_unix_nano + o.async_window_nanos
          : std::max(call.end_time_unix_nano, call.start_time_unix_nano) + o.skew_tolerance_nanos;
  return {start, end};
}

// The root spans of the traces read so far, by trace. The calls of one
// trace fall in overlapping windows, so their searches find mostly the same
// candidates: each is read once (a 100k-span trace's 64 searches read 6,400
// traces, nearly all of them repeats).
class CandidateRoots {
 public:
  explicit CandidateRoots(TraceSource& source) : source_(source) {}

  // The roots of kind `kind` starting in `w`, in the traces the source
  // finds there, except `self`.
  Result<std::vector<const DetachedRoot*>> In(SpanKind kind, Window w, const TraceId& self) {
    Result<std::vector<TraceId>> ids = source_.FindTraces(kind, w.start, w.end, kCandidateTraces);
    if (!ids.ok()) return ids.status();
    std::vector<TraceId> unread;
    for (const TraceId& id : *ids) {
      if (id != self && read_.try_emplace(id).second) unread.push_back(id);
    }
    std::vector<Traces> traces = source_.GetTraces(unread);
    for (size_t i = 0; i < unread.size(); ++i) Remember(unread[i], traces[i]);
    std::vector<const DetachedRoot*> roots;
    for (const TraceId& id : *ids) {
      auto it = read_.find(id);
      if (id == self || it == read_.end()) continue;
      for (const DetachedRoot& r : it->second) {
        if (r.kind != kind) continue;
        if (r.start < w.start || r.start > w.end) continue;
        roots.push_back(&r);
      }
    }
    return roots;
  }

 private:
  // Keeps the roots of `traces` (an empty Traces: expired or not found
  // since the search, no candidate).
  void Remember(const TraceId& id, const Traces& traces) {
    std::vector<DetachedRoot>& roots = read_[id];
    for (const ResourceSpans& rs : traces.resource_spans()) {
      for (const ScopeSpans& ss : rs.scope_spans) {
        for (const Span& s : ss.spans) {
          if (!s.parent_span_id.IsZero()) continue;
          DetachedRoot r{s.trace_id,          s.span_id, ServiceLabel(rs),
                         std::string(s.name), s.kind,    s.start_time_unix_nano,
                         ServedKey(s),        {},        ReadPropagationEvidence(s)};
          for (const SpanLink& l : s.links) r.links.emplace_back(l.trace_id, l.span_id);
          roots.push_back(std::move(r));
        }
      }
    }
  }

  TraceSource& source_;
  struct Hash {
    size_t operator()(const TraceId& id) const { return id.Key(); }
  };
  std::unordered_map<TraceId, std::vector<DetachedRoot>, Hash> read_;
};

}  // namespace

std::vector<Traces> TraceSource::GetTraces(std::span<const TraceId> ids) {
  std::vector<Traces> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    Result<Traces> t = GetTrace(ids[i]);
    if (t.ok()) out[i] = std::move(*t);
  }
  return out;
}

Status FindBrokenPropagation(const AssembledTrace& trace, TraceSource& source,
                             const AnalysisOptions& options, TraceAnalysis* analysis) {
  std::set<std::pair<TraceId, SpanId>> used;
  // (caller, callee) pairs whose first search found no root at all: their
  // other calls go to the same uninstrumented peer (a database, a stub).
  std::set<std::pair<std::string, std::string>> nothing_there;
  size_t searches = 0;
  CandidateRoots candidates(source);
  for (int call_index : analysis->unanswered_calls) {
    const Span& call = *trace.spans[call_index].span;
    const std::string& caller = analysis->span_services[call_index];
    std::optional<std::string> callee = CalleeKey(call);
    std::pair<std::string, std::string> peer{caller, callee.value_or("")};
    if (nothing_there.contains(peer)) continue;
    if (searches++ == kMaxSearches) {
      analysis->propagation_search_limited = true;
      break;
    }
    SpanKind answer_kind =
        call.kind == SpanKind::kProducer ? SpanKind::kConsumer : SpanKind::kServer;
    Window w = CallWindow(call, options);
    Result<std::vector<const DetachedRoot*>> roots = candidates.In(answer_kind, w, trace.trace_id);
    if (!roots.ok()) return roots.status();
    if (roots->empty()) nothing_there.insert(peer);
    const DetachedRoot* best = nullptr;
    size_t unkeyed = 0;
    for (const DetachedRoot* root : *roots) {
      const DetachedRoot& r = *root;
      if (r.service == caller || used.contains({r.trace_id, r.span_id})) continue;
      // A consumer linked to this producer joined the trace the other
      // allowed way (a link, per the messaging conventions): not broken.
      bool linked = false;
      for (const auto& [t, s] : r.links) linked |= t == trace.trace_id && s == call.span_id;
      if (linked) continue;
      if (callee && r.served) {
        if (*callee != *r.served) continue;
      } else {
        ++unkeyed;
      }
      auto distance = [&](const DetachedRoot& d) {
        return d.start > call.start_time_unix_nano ? d.start - call.start_time_unix_nano
                                                   : call.start_time_unix_nano - d.start;
      };
      if (best == nullptr || distance(r) < distance(*best)) best = &r;
    }
    if (best == nullptr) continue;
    bool keyed = callee && best->served;
    if (!keyed && unkeyed > 1) continue;  // several unidentifiable candidates: do not guess
    used.insert({best->trace_id, best->span_id});
    int64_t gap = int64_t(best->start - call.start_time_unix_nano);
    Finding f{
        .kind = FindingKind::kBrokenPropagation,
        .message = fmt::format(
            "propagation broke between {} and {}: {} span {} ({}: {}) is the root of trace {}, "
            "but it answers {} in this trace ({}, started {:+.1f} ms after the call); the "
            "context was not {}. {}",
            caller, best->service, KindName(best->kind), best->span_id.ToHex(), best->service,
            best->name, best->trace_id.ToHex(), SpanLabel(trace, *analysis, call_index),
            keyed ? "same " + *callee : "matched by time only", double(gap) / 1e6,
            call.kind == SpanKind::kProducer
                ? "injected into the message by the producer or not extracted by the consumer"
                : "sent by the caller or not extracted by the callee",
            ExplainPropagationFormats(call, caller, best->service, best->evidence)),
        .spans = {call_index},
        .service = best->service,
        .peer_service = caller,
        .other_trace_id = best->trace_id.ToHex(),
        .other_span_id = best->span_id.ToHex()};
    analysis->findings.push_back(std::move(f));
  }
  return Status::Ok();
}

}  // namespace polytrace::analysis

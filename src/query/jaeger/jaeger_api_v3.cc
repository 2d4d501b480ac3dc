#include "query/jaeger/jaeger_api_v3.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "analysis/span_facts.h"
#include "analysis/trace_assembly.h"
#include "otlp/json_codec.h"
#include "otlp/json_writer.h"
#include "query/found_traces.h"
#include "query/jaeger/jaeger_params.h"
#include "query/query_params.h"
#include "query/trace_answer.h"

namespace polytrace::query {
namespace {

constexpr std::string_view kPrefix = "/api/v3/";
constexpr int64_t kDefaultDepth = 20;

// Jaeger's GRPCGatewayError.
HttpResponse Error(int code, std::string_view message) {
  JsonWriter w;
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Key("httpCode");
  w.Int(code);
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  return HttpResponse::WithBody(code, "application/json", w.Take());
}

// RFC 3339: 2026-11-25T09:30:00Z, with optional fractional seconds and a
// numeric offset instead of Z.
Result<uint64_t> ParseRfc3339(std::string_view name, std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format(
        "parameter '{}': \"{}\" is not an RFC 3339 time like 2026-11-25T09:30:00.5Z", name, text));
  };
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return bad();
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t seconds = timegm(&tm);
  size_t i = 19;
  uint64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    uint64_t scale = 100'000'000;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      nanos += uint64_t(s[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int hours = 0, minutes = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &hours, &minutes) != 2) return bad();
    int64_t offset = (hours * 60 + minutes) * 60;
    seconds -= s[i] == '+' ? offset : -offset;
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size() || seconds < 0) return bad();
  return uint64_t(seconds) * 1'000'000'000 + nanos;
}

// The name a parameter was given by: Jaeger's camelCase, else the
// snake_case it still accepts.
std::string Named(const QueryParams& p, const std::string& name, const std::string& alias) {
  std::optional<std::string> v = p.Get(name);
  return v && !v->empty() ? name : alias;
}

Status ParseQuery(const QueryParams& p, store::SpanFilter* f, int64_t* depth) {
  f->service = p.Get(Named(p, "query.serviceName", "query.service_name")).value_or("");
  f->operation = p.Get(Named(p, "query.operationName", "query.operation_name")).value_or("");
  if (std::optional<std::string> a = p.Get("query.attributes"); a && !a->empty()) {
    POLYTRACE_RETURN_IF_ERROR(ParseTagsJson(*a, "query.attributes", f));
  }
  TranslateDerivedTags(f);
  for (auto [name, field] :
       {std::pair{Named(p, "query.startTimeMin", "query.start_time_min"), &f->start_min_nanos},
        std::pair{Named(p, "query.startTimeMax", "query.start_time_max"), &f->start_max_nanos}}) {
    std::optional<std::string> text = p.Get(name);
    if (!text || text->empty()) continue;
    Result<uint64_t> t = ParseRfc3339(name, *text);
    if (!t.ok()) return t.status();
    *field = *t;
  }
  if (f->start_min_nanos > f->start_max_nanos) {
    return Status::InvalidArgument("'query.startTimeMin' is after 'query.startTimeMax'");
  }
  for (auto [name, field] :
       {std::pair{Named(p, "query.durationMin", "query.duration_min"), &f->min_duration_nanos},
        std::pair{Named(p, "query.durationMax", "query.duration_max"), &f->max_duration_nanos}}) {
    Result<std::optional<std::chrono::nanoseconds>> d = p.GetDuration(name);
    if (!d.ok()) return d.status();
    if (*d) *field = uint64_t(std::max<int64_t>(0, (*d)->count()));
  }
  std::string depth_name = Named(p, "query.searchDepth", "query.search_depth");
  if (!p.Get(depth_name).has_value()) depth_name = "query.num_traces";  // older still
  Result<std::optional<int64_t>> n = p.GetInt(depth_name);
  if (!n.ok()) return n.status();
  *depth = n->value_or(kDefaultDepth);
  if (*depth <= 0) *depth = kDefaultDepth;
  return Status::Ok();
}

void WriteSummary(const analysis::AssembledTrace& t, JsonWriter& w) {
  struct Counts {
    uint64_t spans = 0, errors = 0;
  };
  std::vector<std::pair<std::string_view, Counts>> services;  // in order of first span
  uint64_t errors = 0, orphans = 0;
  for (const analysis::AssembledSpan& s : t.spans) {
    bool error = s.span->status.code == StatusCodeValue::kError;
    errors += error;
    orphans += s.orphan;
    std::string_view name = analysis::ServiceNameOf(*s.resource);
    auto it = std::find_if(services.begin(), services.end(),
                           [&](const auto& e) { return e.first == name; });
    if (it == services.end()) it = services.insert(services.end(), {name, {}});
    ++it->second.spans;
    it->second.errors += error;
  }
  w.BeginObject();
  w.Key("traceId");
  w.String(t.trace_id.ToHex());
  if (t.root >= 0) {
    w.Key("rootServiceName");
    w.String(analysis::ServiceNameOf(*t.spans[t.root].resource));
    w.Key("rootOperationName");
    w.String(t.spans[t.root].span->name);
  }
  w.Key("minStartTimeUnixNano");
  w.Uint64AsString(t.start_nanos);
  w.Key("maxEndTimeUnixNano");
  w.Uint64AsString(t.end_nanos);
  w.Key("spanCount");
  w.Uint(t.spans.size());
  w.Key("errorSpanCount");
  w.Uint(errors);
  w.Key("orphanSpanCount");
  w.Uint(orphans);
  w.Key("services");
  w.BeginArray();
  for (const auto& [name, counts] : services) {
    w.BeginObject();
    w.Key("name");
    w.String(name);
    w.Key("spanCount");
    w.Uint(counts.spans);
    w.Key("errorSpanCount");
    w.Uint(counts.errors);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::optional<HttpResponse> JaegerApiV3::Handle(const HttpRequest& request) {
  if (!request.path.starts_with(kPrefix)) return std::nullopt;
  std::string_view route = std::string_view(request.path).substr(kPrefix.size());
  if (route == "services") return Services();
  if (route == "operations") return Operations(request);
  if (route == "trace-summaries") return TraceSummaries(request);
  if (route == "traces") return FindTraces(request);
  constexpr std::string_view kTraces = "traces/";
  if (route.starts_with(kTraces)) return GetTrace(route.substr(kTraces.size()));
  return Error(404, fmt::format("no such v3 endpoint: {} (served: services, operations, "
                                "trace-summaries, traces, traces/{{traceID}})",
                                request.path));
}

HttpResponse JaegerApiV3::Services() {
  JsonWriter w;
  w.BeginObject();
  w.Key("services");
  w.BeginArray();
  for (const std::string& s : store_.Services()) w.String(s);
  w.EndArray();
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

HttpResponse JaegerApiV3::Operations(const HttpRequest& request) {
  QueryParams p(request.query);
  Result<OperationsQuery> query = ParseOperationsQuery(p, Named(p, "spanKind", "span_kind"));
  if (!query.ok()) return Error(400, query.status().message());
  JsonWriter w;
  w.BeginObject();
  w.Key("operations");
  WriteOperations(store_, *query, w);
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

std::optional<HttpResponse> JaegerApiV3::EachFound(const HttpRequest& request, bool none_is_404,
                                                   const std::function<void(const Traces&)>& each) {
  store::SpanFilter filter;
  int64_t depth = 0;
  if (Status st = ParseQuery(QueryParams(request.query), &filter, &depth); !st.ok()) {
    return Error(400, st.message());
  }
  store::SearchReads reads;  // the traces found, read whole where the search could
  Result<std::vector<store::TraceHit>> hits = query::FindTraces(
      store_, filter, std::min(size_t(depth), kMaxSearchTraces), options_, &reads);
  if (!hits.ok()) return Error(500, hits.status().message());
  if (none_is_404 && hits->empty()) return Error(404, "No traces found");
  Result<FoundTracesRead> read =
      ReadFoundTraces(store_, *hits, &reads, kMaxSearchAnswerSpans, each);
  if (!read.ok()) return Error(500, read.status().message());
  if (read->first_too_big) {
    return Error(422, TooBigForSearch((*hits)[0].trace_id, *read->first_too_big));
  }
  return std::nullopt;
}

HttpResponse JaegerApiV3::TraceSummaries(const HttpRequest& request) {
  JsonWriter w;
  w.BeginObject();
  w.Key("summaries");
  w.BeginArray();
  if (std::optional<HttpResponse> failed = EachFound(
          request, /*none_is_404=*/false,
          [&](const Traces& trace) { WriteSummary(analysis::AssembleTrace(trace), w); })) {
    return std::move(*failed);
  }
  w.EndArray();
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

HttpResponse JaegerApiV3::FindTraces(const HttpRequest& request) {
  // As Jaeger's: every trace's resource spans in one OTLP batch, the newest
  // trace first; none found is a 404.
  JsonWriter w;
  w.BeginObject();
  w.Key("result");
  w.BeginObject();
  w.Key("resourceSpans");
  w.BeginArray();
  if (std::optional<HttpResponse> failed =
          EachFound(request, /*none_is_404=*/true,
                    [&](const Traces& trace) { otlp::WriteResourceSpansJson(trace, w); })) {
    return std::move(*failed);
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

HttpResponse JaegerApiV3::GetTrace(std::string_view id_text) {
  Result<TraceId> id = ParseTraceIdParam(id_text);
  if (!id.ok()) return Error(400, id.status().message());
  Result<std::optional<HttpResponse>> answer =
      AnswerTrace(store_, *id, TraceForm::kJaegerV3Json, options_.answer_budget);
  if (!answer.ok()) return FailedAnswer(answer.status(), Error);
  if (!*answer) return Error(404, fmt::format("trace {} not found", id->ToHex()));
  return std::move(**answer);
}

}  // namespace polytrace::query

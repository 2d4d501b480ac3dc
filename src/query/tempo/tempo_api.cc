#include "query/tempo/tempo_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "otlp/json_codec.h"
#include "otlp/json_writer.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"
#include "query/found_traces.h"
#include "query/query_params.h"
#include "query/tempo/tag_values_filter.h"
#include "query/trace_columns.h"
#include "query/traceql/evaluator.h"
#include "query/traceql/semconv_aliases.h"

namespace polytrace::query {
namespace {

constexpr size_t kTagValuesLimit = 1000;
// Traces read for tag values under a query (`q`): its newest matches in the
// range, as many as a search inspects.
constexpr size_t kTagValuesCandidates = 20'000;

HttpResponse Text(int status, std::string body) {
  return HttpResponse::Text(status, std::move(body));
}

bool WantsProtobuf(const HttpRequest& request) {
  return request.Header("accept").find("application/protobuf") != std::string_view::npos;
}

}  // namespace

std::optional<HttpResponse> TempoApi::Handle(const HttpRequest& request) {
  std::string_view path = request.path;
  if (path == "/api/echo") return Text(200, "echo");
  if (path == "/api/status/buildinfo") {
    return HttpResponse::WithBody(
        200, "application/json",
        R"({"version":"2.6.0","revision":"polytrace","branch":"main","goVersion":"n/a"})");
  }
  if (path.starts_with("/api/v2/traces/")) return GetTraceV2(request, path.substr(15));
  if (path == "/api/search") return Search(request);
  if (path == "/api/search/tags") return TagNames(false);
  if (path == "/api/v2/search/tags") return TagNames(true);
  for (std::string_view prefix : {"/api/search/tag/", "/api/v2/search/tag/"}) {
    if (path.starts_with(prefix) && path.ends_with("/values")) {
      std::optional<std::string> tag =
          PercentDecode(path.substr(prefix.size(), path.size() - prefix.size() - 7));
      if (!tag || tag->empty()) return Text(400, "malformed tag name in the path");
      return TagValues(request, *tag, prefix.starts_with("/api/v2"));
    }
  }
  return std::nullopt;
}

HttpResponse TempoApi::GetTraceProto(std::string_view id_text) {
  Result<TraceId> id = ParseTraceIdParam(id_text);
  if (!id.ok()) return Text(400, id.status().message());
  return Answer(*id, TraceForm::kOtlpProto);
}

HttpResponse TempoApi::Answer(const TraceId& id, TraceForm form) {
  Result<std::optional<HttpResponse>> answer =
      AnswerTrace(store_, id, form, options_.answer_budget);
  if (!answer.ok()) {
    return FailedAnswer(answer.status(),
                        [](int code, std::string_view m) { return Text(code, std::string(m)); });
  }
  if (!*answer) return Text(404, "trace not found");
  return std::move(**answer);
}

HttpResponse TempoApi::GetTraceV2(const HttpRequest& request, std::string_view id_text) {
  Result<TraceId> id = ParseTraceIdParam(id_text);
  if (!id.ok()) return Text(400, id.status().message());
  // The web UI asks for its own columns (query/trace_columns.h).
  if (request.Header("accept").find(kTraceColumnsMediaType) != std::string_view::npos) {
    return Answer(*id, TraceForm::kColumns);
  }
  return Answer(*id, WantsProtobuf(request) ? TraceForm::kTempoV2Proto : TraceForm::kTempoV2Json);
}

HttpResponse TempoApi::TagNames(bool v2) {
  store::Store::TagNames names = store_.AttributeNames();
  JsonWriter w;
  w.BeginObject();
  if (v2) {
    w.Key("scopes");
    w.BeginArray();
    for (const auto& [scope, list] :
         {std::pair{"span", &names.span}, std::pair{"resource", &names.resource}}) {
      w.BeginObject();
      w.Key("name");
      w.String(scope);
      w.Key("tags");
      w.BeginArray();
      for (const std::string& n : *list) w.String(n);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  } else {
    std::set<std::string> all(names.span.begin(), names.span.end());
    all.insert(names.resource.begin(), names.resource.end());
    w.Key("tagNames");
    w.BeginArray();
    for (const std::string& n : all) w.String(n);
    w.EndArray();
  }
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

Result<NanosRange> ParseTempoTimeRange(const QueryParams& params) {
  auto start = params.GetInt("start"), end = params.GetInt("end");
  if (!start.ok()) return start.status();
  if (!end.ok()) return end.status();
  constexpr int64_t kMaxSeconds = std::numeric_limits<uint64_t>::max() / 1'000'000'000 - 1;
  auto nanos = [&](int64_t seconds) {
    return uint64_t(std::clamp<int64_t>(seconds, 0, kMaxSeconds)) * 1'000'000'000;
  };
  NanosRange range;
  if (*start) range.start = nanos(**start);
  if (*end) range.end = nanos(**end) + 999'999'999;
  if (range.start > range.end) return Status::InvalidArgument("'start' is after 'end'");
  return range;
}

Status TempoApi::ValuesOfMatchingSpans(const HttpRequest& request, traceql::SpansetExpr& filter,
                                       std::string_view key, bool span, bool resource,
                                       const NanosRange& range,
                                       std::set<std::pair<std::string, std::string>>* values) {
  // The candidates: traces with a span the conditions require (as a TraceQL
  // search finds them), newest first, each then checked span by span.
  store::SpanFilter required = traceql::RequiredSpanFilter(filter);
  if (options_.semconv_aliases) traceql::AliasSemconvGenerations(filter);
  required.start_min_nanos = range.start;
  required.start_max_nanos = range.end;
  Result<std::vector<store::TraceHit>> hits = query::FindTraces(
      store_, required, kTagValuesCandidates, options_, nullptr, store::SearchOrder::kFirstFound);
  if (!hits.ok()) return hits.status();
  std::vector<TraceId> ids = store::TraceIdsOf(*hits);
  constexpr size_t kChunk = 256;  // traces in memory at once
  for (size_t begin = 0; begin < ids.size() && values->size() < kTagValuesLimit; begin += kChunk) {
    // A client that went away gets no answer: the rest is not worked out.
    if (request.ClientGone()) return Status::Unavailable("client closed the request");
    size_t n = std::min(kChunk, ids.size() - begin);
    // A trace bigger than kMaxTraceReadSpans is not read (found_traces.h).
    POLYTRACE_RETURN_IF_ERROR(ForEachTraceWithin(
        store_, std::span<const TraceId>(ids).subspan(begin, n), nullptr, kMaxTraceReadSpans,
        [&](size_t, const Traces& t) {
          analysis::AssembledTrace trace = analysis::AssembleTrace(t);
          if (trace.spans.empty() || values->size() >= kTagValuesLimit) return;
          for (int i : traceql::Evaluate(filter, traceql::MakeContext(trace))) {
            const analysis::AssembledSpan& s = trace.spans[size_t(i)];
            if (s.span->start_time_unix_nano < range.start ||
                s.span->start_time_unix_nano > range.end) {
              continue;
            }
            for (const AnyValue* v :
                 {span ? FindAttribute(s.span->attributes, key) : nullptr,
                  resource ? FindAttribute(s.resource->resource.attributes, key) : nullptr}) {
              if (v == nullptr || v->type == ValueType::kEmpty) continue;
              values->emplace(ValueTypeName(v->type), ValueToString(*v));
              if (values->size() >= kTagValuesLimit) return;
            }
          }
        },
        nullptr));
  }
  return Status::Ok();
}

HttpResponse TempoApi::TagValues(const HttpRequest& request, std::string_view tag, bool v2) {
  // Grafana sends the time picker's range: only data that may hold spans
  // in it is read (Tempo reads the blocks of the range too).
  Result<NanosRange> range = ParseTempoTimeRange(QueryParams(request.query));
  if (!range.ok()) return Text(400, range.status().message());
  // v2 tags carry their scope: resource.x, span.x, or .x (either).
  bool span = true, resource = true;
  if (tag.starts_with("resource.")) {
    tag.remove_prefix(9);
    span = false;
  } else if (tag.starts_with("span.")) {
    tag.remove_prefix(5);
    resource = false;
  } else if (tag.starts_with(".")) {
    tag.remove_prefix(1);
  }
  std::set<std::pair<std::string, std::string>> values;  // (type, value)
  std::unique_ptr<traceql::SpansetExpr> filter =
      TagValuesFilter(QueryParams(request.query).Get("q").value_or(""));
  if (filter) {
    Status st = ValuesOfMatchingSpans(request, *filter, tag, span, resource, *range, &values);
    if (!st.ok()) return Text(request.ClientGone() ? 499 : 500, st.message());
  }
  for (bool span_scope : {true, false}) {
    if (filter || (span_scope && !span) || (!span_scope && !resource)) continue;
    auto found = store_.AttributeValues(tag, span_scope, kTagValuesLimit, range->start, range->end);
    if (!found.ok()) return Text(500, found.status().message());
    values.insert(found->begin(), found->end());
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("tagValues");
  w.BeginArray();
  for (const auto& [type, value] : values) {
    if (v2) {
      w.BeginObject();
      w.Key("type");
      w.String(type);
      w.Key("value");
      w.String(value);
      w.EndObject();
    } else {
      w.String(value);
    }
  }
  w.EndArray();
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

}  // namespace polytrace::query

#include "query/jaeger/jaeger_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <set>

#include "query/found_traces.h"
#include "query/jaeger/jaeger_json.h"
#include "query/jaeger/jaeger_params.h"
#include "query/jaeger/jaeger_traces_answer.h"
#include "query/query_params.h"
#include "query/trace_answer.h"

namespace polytrace::query {
namespace {

constexpr int64_t kDefaultLimit = 100;

HttpResponse Json(int status, std::string body) {
  return HttpResponse::WithBody(status, "application/json", std::move(body));
}
HttpResponse BadRequest(std::string_view message) { return Json(400, JaegerError(400, message)); }
HttpResponse ServerError(const Status& st) {
  return FailedAnswer(
      st, [](int code, std::string_view m) { return Json(code, JaegerError(code, m)); });
}

// Each ID once, in the order first asked (as Jaeger answers a repeated one).
std::vector<TraceId> EachOnce(std::vector<TraceId> ids) {
  std::set<TraceId> seen;
  std::erase_if(ids, [&](const TraceId& id) { return !seen.insert(id).second; });
  return ids;
}

}  // namespace

std::optional<SpanKind> ParseKind(std::string_view text) {
  if (text == "server") return SpanKind::kServer;
  if (text == "client") return SpanKind::kClient;
  if (text == "producer") return SpanKind::kProducer;
  if (text == "consumer") return SpanKind::kConsumer;
  if (text == "internal") return SpanKind::kInternal;
  if (text == "unspecified") return SpanKind::kUnspecified;
  return std::nullopt;
}

const char* KindText(SpanKind kind) {
  switch (kind) {
    case SpanKind::kServer: return "server";
    case SpanKind::kClient: return "client";
    case SpanKind::kProducer: return "producer";
    case SpanKind::kConsumer: return "consumer";
    case SpanKind::kInternal: return "internal";
    default: return "unspecified";
  }
}

// tags={"k":"v",...}: values may be JSON strings, numbers or booleans.
Status ParseTagsJson(const std::string& text, std::string_view parameter,
                     store::SpanFilter* filter) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(text).get(doc); error) {
    return Status::InvalidArgument(
        fmt::format("parameter '{}': malformed JSON ({}); expected an object like "
                    "{{\"http.status_code\":\"500\"}}",
                    parameter, simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object)) {
    return Status::InvalidArgument(
        fmt::format("parameter '{}': expected a JSON object of key: value", parameter));
  }
  for (auto field : object) {
    std::string value;
    if (field.value.is_string()) {
      value = std::string(std::string_view(field.value.get_string().value()));
    } else {
      value = simdjson::minify(field.value);
    }
    filter->tags.emplace_back(std::string(field.key), value);
  }
  return Status::Ok();
}

// Jaeger shows span kind and status as tags (span.kind, error,
// otel.status_code), so its users search them as tags: those become
// conditions on the kind and status columns instead of attributes.
void TranslateDerivedTags(store::SpanFilter* f) {
  std::vector<std::pair<std::string, std::string>> attributes;
  for (auto& [key, value] : f->tags) {
    if (key == "error" && (value == "true" || value == "false")) {
      if (value == "true") f->status = StatusCodeValue::kError;
      continue;  // error=false: Jaeger matches spans without the tag; nothing to require
    }
    if (key == "otel.status_code" && (value == "ERROR" || value == "OK")) {
      f->status = value == "ERROR" ? StatusCodeValue::kError : StatusCodeValue::kOk;
      continue;
    }
    if (key == "span.kind") {
      if (std::optional<SpanKind> kind = ParseKind(value)) {
        f->kind = kind;
        continue;
      }
    }
    attributes.emplace_back(std::move(key), std::move(value));
  }
  f->tags = std::move(attributes);
}

Result<OperationsQuery> ParseOperationsQuery(const QueryParams& p,
                                             std::string_view kind_parameter) {
  OperationsQuery query;
  query.service = p.Get("service").value_or("");
  if (query.service.empty()) return Status::InvalidArgument("parameter 'service' is required");
  if (std::optional<std::string> k = p.Get(kind_parameter); k && !k->empty()) {
    query.kind = ParseKind(*k);
    if (!query.kind) {
      return Status::InvalidArgument(
          fmt::format("parameter '{}': \"{}\" is not one of server, client, producer, "
                      "consumer, internal",
                      kind_parameter, *k));
    }
  }
  return query;
}

size_t WriteOperations(const store::Store& store, const OperationsQuery& query, JsonWriter& w) {
  size_t total = 0;
  w.BeginArray();
  for (const store::OperationEntry& op : store.Operations(query.service)) {
    if (query.kind && op.kind != *query.kind) continue;
    ++total;
    w.BeginObject();
    w.Key("name");
    w.String(op.name);
    w.Key("spanKind");
    w.String(op.kind == SpanKind::kUnspecified ? "" : KindText(op.kind));
    w.EndObject();
  }
  w.EndArray();
  return total;
}

namespace {

Status ParseSearch(const QueryParams& p, store::SpanFilter* f, int64_t* limit) {
  f->service = p.Get("service").value_or("");
  f->operation = p.Get("operation").value_or("");
  if (std::optional<std::string> tags = p.Get("tags"); tags && !tags->empty()) {
    POLYTRACE_RETURN_IF_ERROR(ParseTagsJson(*tags, "tags", f));
  }
  for (const std::string& tag : p.GetAll("tag")) {
    size_t colon = tag.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument(fmt::format("parameter 'tag': \"{}\" is not key:value", tag));
    }
    f->tags.emplace_back(tag.substr(0, colon), tag.substr(colon + 1));
  }
  TranslateDerivedTags(f);
  for (const char* name : {"minDuration", "maxDuration"}) {
    auto d = p.GetDuration(name);
    if (!d.ok()) return d.status();
    if (!*d) continue;
    (std::string_view(name) == "minDuration" ? f->min_duration_nanos : f->max_duration_nanos) =
        static_cast<uint64_t>(std::max<int64_t>(0, (*d)->count()));
  }
  if (f->min_duration_nanos && f->max_duration_nanos &&
      *f->max_duration_nanos < *f->min_duration_nanos) {
    return Status::InvalidArgument("'maxDuration' is smaller than 'minDuration'");
  }
  auto start = p.GetInt("start");
  auto end = p.GetInt("end");
  // Jaeger reads only start/end; the Jaeger UI also sends its time-range
  // choice as `lookback` ("1h", or "custom" beside an explicit start), so
  // lookback is read only when no start is given.
  auto lookback = start.ok() && *start
                      ? Result<std::optional<std::chrono::nanoseconds>>(std::nullopt)
                      : p.GetDuration("lookback");
  auto lim = p.GetInt("limit");
  for (const auto* r : {&start.status(), &end.status(), &lookback.status(), &lim.status()}) {
    if (!r->ok()) return *r;
  }
  // start/end are Unix microseconds; without them, `lookback` back from now
  // (Jaeger UI sends both; other clients often neither: then all time).
  uint64_t now = store::UnixNanosNow();
  f->start_max_nanos = *end ? uint64_t(**end) * 1000 : UINT64_MAX;
  if (*start) {
    f->start_min_nanos = uint64_t(**start) * 1000;
  } else if (*lookback) {
    f->start_min_nanos = (*end ? uint64_t(**end) * 1000 : now) - uint64_t((*lookback)->count());
  }
  if (f->start_min_nanos > f->start_max_nanos) {
    return Status::InvalidArgument("'start' is after 'end'");
  }
  *limit = lim->value_or(kDefaultLimit);
  if (*limit <= 0) *limit = kDefaultLimit;
  return Status::Ok();
}

}  // namespace

std::optional<HttpResponse> JaegerApi::Handle(const HttpRequest& request) {
  std::string_view path = request.path;
  if (path == "/api/services") return Services();
  if (path == "/api/operations") return Operations(request);
  if (path == "/api/traces") return FindTraces(request);
  if (path == "/api/dependencies") return Dependencies(request);
  if (path.starts_with("/api/traces/")) return GetTrace(path.substr(12));
  constexpr std::string_view kServices = "/api/services/", kOps = "/operations";
  if (path.starts_with(kServices) && path.ends_with(kOps) &&
      path.size() > kServices.size() + kOps.size()) {
    std::optional<std::string> service =
        PercentDecode(path.substr(kServices.size(), path.size() - kServices.size() - kOps.size()));
    if (!service) return BadRequest("malformed percent-encoding in the service name");
    return ServiceOperations(*service);
  }
  return std::nullopt;
}

HttpResponse JaegerApi::Services() {
  std::vector<std::string> services = store_.Services();
  JsonWriter w;
  w.BeginArray();
  for (const std::string& s : services) w.String(s);
  w.EndArray();
  return Json(200, JaegerEnvelope(w.str(), services.size()));
}

HttpResponse JaegerApi::ServiceOperations(std::string_view service) {
  std::vector<std::string> names;
  for (const store::OperationEntry& op : store_.Operations(service)) {
    if (names.empty() || names.back() != op.name) names.push_back(op.name);
  }
  JsonWriter w;
  w.BeginArray();
  for (const std::string& n : names) w.String(n);
  w.EndArray();
  return Json(200, JaegerEnvelope(w.str(), names.size()));
}

HttpResponse JaegerApi::Operations(const HttpRequest& request) {
  Result<OperationsQuery> query = ParseOperationsQuery(QueryParams(request.query), "spanKind");
  if (!query.ok()) return BadRequest(query.status().message());
  JsonWriter w;
  size_t total = WriteOperations(store_, *query, w);
  return Json(200, JaegerEnvelope(w.str(), total));
}

HttpResponse JaegerApi::FindTraces(const HttpRequest& request) {
  QueryParams p(request.query);
  std::vector<std::string> ids = p.GetAll("traceID");
  if (!ids.empty()) return TracesById(ids);
  store::SpanFilter filter;
  int64_t limit = 0;
  if (Status st = ParseSearch(p, &filter, &limit); !st.ok()) return BadRequest(st.message());
  if (filter.service.empty()) return BadRequest("parameter 'service' is required");
  store::SearchReads reads;
  Result<std::vector<store::TraceHit>> hits = query::FindTraces(
      store_, filter, std::min(static_cast<size_t>(limit), kMaxSearchTraces), options_, &reads);
  if (!hits.ok()) return ServerError(hits.status());
  Result<HttpResponse> answer = AnswerJaegerTraces(store_, store::TraceIdsOf(*hits),
                                                   std::move(reads), false, options_.answer_budget);
  if (!answer.ok()) return ServerError(answer.status());
  return std::move(*answer);
}

HttpResponse JaegerApi::TracesById(const std::vector<std::string>& ids) {
  std::vector<TraceId> wanted;  // in the order asked
  for (const std::string& text : ids) {
    Result<TraceId> id = ParseTraceIdParam(text);
    if (!id.ok()) return BadRequest(fmt::format("parameter 'traceID': {}", id.status().message()));
    wanted.push_back(*id);
  }
  Result<HttpResponse> answer =
      AnswerJaegerTraces(store_, EachOnce(std::move(wanted)), {}, true, options_.answer_budget);
  if (!answer.ok()) return ServerError(answer.status());
  return std::move(*answer);
}

HttpResponse JaegerApi::GetTrace(std::string_view id_text) {
  Result<TraceId> id = ParseTraceIdParam(id_text);
  if (!id.ok()) return BadRequest(id.status().message());
  Result<std::optional<HttpResponse>> answer =
      AnswerTrace(store_, *id, TraceForm::kJaegerJson, options_.answer_budget);
  if (!answer.ok()) return ServerError(answer.status());
  if (!*answer) return Json(404, JaegerError(404, "trace not found"));
  return std::move(**answer);
}

HttpResponse JaegerApi::Dependencies(const HttpRequest& request) {
  QueryParams p(request.query);
  auto end_ms = p.GetInt("endTs");
  auto lookback_ms = p.GetInt("lookback");
  if (!end_ms.ok()) return BadRequest(end_ms.status().message());
  if (!lookback_ms.ok()) return BadRequest(lookback_ms.status().message());
  uint64_t end = *end_ms ? uint64_t(**end_ms) * 1'000'000 : store::UnixNanosNow();
  uint64_t lookback = uint64_t(lookback_ms->value_or(24 * 3600 * 1000)) * 1'000'000;
  Result<std::vector<store::DependencyLink>> links =
      store_.Dependencies(lookback > end ? 0 : end - lookback, end);
  if (!links.ok()) return ServerError(links.status());
  JsonWriter w;
  w.BeginArray();
  for (const store::DependencyLink& link : *links) {
    w.BeginObject();
    w.Key("parent");
    w.String(link.parent);
    w.Key("child");
    w.String(link.child);
    w.Key("callCount");
    w.Uint(link.call_count);
    w.EndObject();
  }
  w.EndArray();
  return Json(200, JaegerEnvelope(w.str(), kJaegerTotalNotCounted));
}

}  // namespace polytrace::query

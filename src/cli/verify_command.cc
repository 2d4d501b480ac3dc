#include "cli/verify_command.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <iostream>
#include <map>
#include <thread>

#include "analysis/propagation_search.h"
#include "cli/query_client.h"
#include "config/config_reader.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "otlp/proto_codec.h"
#include "query/query_params.h"
#include "verify/verifier.h"
#include "verify/verify_report.h"

namespace polytrace {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kTimeout{30};
constexpr std::chrono::milliseconds kRetryEvery{500};

// The query API as the analysis' TraceSource: traces as OTLP protobuf, the
// candidate search through the Tempo search API.
class HttpTraceSource : public analysis::TraceSource {
 public:
  explicit HttpTraceSource(const Url& url) : client_(url) {}

  Result<Traces> GetTrace(const TraceId& id) override {
    Result<HttpClientResponse> r =
        client_.Get("/api/traces/" + id.ToHex(), "application/protobuf", kTimeout);
    if (!r.ok()) return r.status();
    Traces traces;
    if (r->status == 404) return traces;
    if (r->status != 200) {
      return Status::Unavailable(
          fmt::format("GET /api/traces/{} answered {}: {}", id.ToHex(), r->status, r->body));
    }
    std::string_view body = traces.Adopt(std::move(r->body));
    if (Status st = otlp::DecodeTracesProto(body, &traces); !st.ok()) return st;
    return traces;
  }

  Result<std::vector<TraceId>> FindTraces(SpanKind kind, uint64_t start_nanos, uint64_t end_nanos,
                                          size_t limit) override {
    std::string_view kind_name = kind == SpanKind::kConsumer ? "consumer" : "server";
    return Search(fmt::format("{{ kind = {} }}", kind_name), start_nanos / 1'000'000'000,
                  end_nanos / 1'000'000'000 + 1, limit);
  }

  // Trace IDs of a TraceQL search over [start_s, end_s] (Unix seconds).
  Result<std::vector<TraceId>> Search(const std::string& traceql, uint64_t start_s, uint64_t end_s,
                                      size_t limit) {
    std::string target = fmt::format("/api/search?q={}&start={}&end={}&limit={}",
                                     PercentEncode(traceql), start_s, end_s, limit);
    Result<HttpClientResponse> r = client_.Get(target, "application/json", kTimeout);
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return Status::Unavailable(fmt::format("GET {} answered {}: {}", target, r->status, r->body));
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array traces;
    if (parser.parse(r->body).get(doc) || doc["traces"].get_array().get(traces)) {
      return Status::Unavailable("the search API returned an unexpected body");
    }
    std::vector<TraceId> ids;
    for (simdjson::dom::element t : traces) {
      std::string_view hex;
      if (t["traceID"].get_string().get(hex)) continue;
      if (Result<TraceId> id = query::ParseTraceIdParam(hex); id.ok()) ids.push_back(*id);
    }
    return ids;
  }

 private:
  QueryClient client_;
};

Status BuildExpectations(const VerifyOptions& o, verify::Expectations* e) {
  if (!o.expect_file.empty()) {
    if (Status st = verify::LoadExpectationsFile(o.expect_file, e); !st.ok()) return st;
  }
  e->strict |= o.strict;
  e->services.insert(e->services.end(), o.services.begin(), o.services.end());
  e->languages.insert(e->languages.end(), o.languages.begin(), o.languages.end());
  for (const std::string& s : o.spans) {
    if (Status st = verify::AddSpanFlag(s, e); !st.ok()) return st;
  }
  for (const std::string& a : o.attributes) {
    if (Status st = verify::AddAttributeFlag(a, e); !st.ok()) return st;
  }
  if (o.min_spans >= 0) e->min_spans = size_t(o.min_spans);
  if (o.max_spans >= 0) e->max_spans = size_t(o.max_spans);
  for (auto [flag, text, field] :
       {std::tuple{"--max-duration", &o.max_duration, (uint64_t*)nullptr},
        std::tuple{"--skew-tolerance", &o.skew_tolerance, &e->analysis.skew_tolerance_nanos}}) {
    if (text->empty()) continue;
    std::optional<std::chrono::nanoseconds> d = ParseGoDuration(*text);
    if (!d) {
      return Status::InvalidArgument(
          fmt::format("{} \"{}\" is not a duration (e.g. 2s)", flag, *text));
    }
    if (field != nullptr) {
      *field = uint64_t(d->count());
    } else {
      e->max_duration_nanos = uint64_t(d->count());
    }
  }
  const std::map<std::string, bool*> allow = {
      {"orphans", &e->allow_orphans},
      {"missing-service-name", &e->allow_missing_service_name},
      {"invalid-hops", &e->allow_invalid_hops},
      {"broken-propagation", &e->allow_broken_propagation},
      {"clock-skew", &e->allow_clock_skew},
      {"sdk-mix", &e->allow_sdk_mix},
      {"missing-service-version", &e->allow_missing_service_version}};
  for (const std::string& a : o.allow) {
    auto it = allow.find(a);
    if (it == allow.end()) {
      return Status::InvalidArgument(
          fmt::format("--allow \"{}\": expected orphans, missing-service-name, invalid-hops, "
                      "broken-propagation, clock-skew, sdk-mix or missing-service-version",
                      a));
    }
    *it->second = true;
  }
  return Status::Ok();
}

// Fetches, analyses and checks one trace; nullopt when it is not (yet) stored.
Result<std::optional<verify::TraceVerdict>> VerifyOne(HttpTraceSource& source, const TraceId& id,
                                                      const verify::Expectations& e) {
  Result<Traces> traces = source.GetTrace(id);
  if (!traces.ok()) return traces.status();
  if (traces->empty()) return std::optional<verify::TraceVerdict>();
  analysis::AssembledTrace trace = analysis::AssembleTrace(*traces);
  analysis::TraceAnalysis result = analysis::AnalyzeTrace(trace, e.analysis);
  if (Status st = analysis::FindBrokenPropagation(trace, source, e.analysis, &result); !st.ok()) {
    return st;
  }
  return std::optional(verify::VerifyTrace(trace, result, e));
}

}  // namespace

int RunVerify(const VerifyOptions& o) {
  verify::Expectations e;
  if (Status st = BuildExpectations(o, &e); !st.ok()) {
    std::cerr << "polytrace verify: " << st.message() << "\n";
    return 2;
  }
  if (o.trace_ids.empty() == o.since.empty()) {
    std::cerr << "polytrace verify: give --trace ID (repeatable) or --since DURATION\n";
    return 2;
  }
  std::optional<std::chrono::nanoseconds> wait = ParseGoDuration(o.wait);
  std::optional<std::chrono::nanoseconds> since =
      o.since.empty() ? std::chrono::nanoseconds(0) : ParseGoDuration(o.since);
  if (!wait || !since) {
    std::cerr << fmt::format("polytrace verify: \"{}\" is not a duration (e.g. 30s, 5m)\n",
                             !wait ? o.wait : o.since);
    return 2;
  }
  Result<Url> url = Url::Parse(o.endpoint);
  if (!url.ok()) {
    std::cerr << "polytrace verify: --endpoint: " << url.status().message() << "\n";
    return 2;
  }
  HttpTraceSource source(*url);
  Clock::time_point deadline = Clock::now() + *wait;

  std::vector<TraceId> ids;
  for (const std::string& text : o.trace_ids) {
    Result<TraceId> id = query::ParseTraceIdParam(text);
    if (!id.ok()) {
      std::cerr << fmt::format("polytrace verify: --trace \"{}\" is not a hex trace ID\n", text);
      return 2;
    }
    ids.push_back(*id);
  }
  if (!o.since.empty()) {
    std::string q = o.root_service.empty()
                        ? "{ }"
                        : fmt::format("{{ rootServiceName = \"{}\" }}", o.root_service);
    for (;;) {
      uint64_t now_s = uint64_t(std::time(nullptr));
      Result<std::vector<TraceId>> found = source.Search(
          q, now_s - uint64_t(since->count() / 1'000'000'000), now_s + 1, size_t(o.limit));
      if (!found.ok()) {
        std::cerr << fmt::format("polytrace verify: cannot search {}: {}\n", o.endpoint,
                                 found.status().message());
        return 2;
      }
      ids = std::move(*found);
      if (!ids.empty() || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(kRetryEvery);
    }
    if (ids.empty()) {
      std::cerr << fmt::format("polytrace verify: no trace{} in the last {}\n",
                               o.root_service.empty() ? "" : " rooted in " + o.root_service,
                               o.since);
      return 1;
    }
  }

  // Spans arrive late (SDKs batch for seconds): a trace that fails is
  // fetched again until it passes or --wait runs out.
  std::vector<std::optional<verify::TraceVerdict>> verdicts(ids.size());
  std::vector<std::string> errors;
  for (;;) {
    bool pending = false;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (verdicts[i] && verdicts[i]->ok()) continue;
      Result<std::optional<verify::TraceVerdict>> v = VerifyOne(source, ids[i], e);
      if (!v.ok()) {
        std::cerr << fmt::format("polytrace verify: {}: {}\n", o.endpoint, v.status().message());
        return 2;
      }
      verdicts[i] = std::move(*v);
      pending |= !verdicts[i] || !verdicts[i]->ok();
    }
    if (!pending || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kRetryEvery);
  }

  std::vector<verify::TraceVerdict> done;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (verdicts[i]) {
      done.push_back(std::move(*verdicts[i]));
    } else {
      errors.push_back(fmt::format("trace {} not found", ids[i].ToHex()));
    }
  }
  size_t failed = errors.size();
  for (const verify::TraceVerdict& v : done) failed += v.ok() ? 0 : 1;
  if (o.json) {
    JsonWriter w;
    verify::WriteVerdictsJson(done, errors, w);
    std::cout << w.str() << "\n";
  } else {
    for (const verify::TraceVerdict& v : done) verify::PrintVerdict(v, std::cout);
    for (const std::string& err : errors) std::cout << "error: " << err << "\n";
    std::cout << fmt::format("{} trace(s) verified: {} passed, {} failed\n", ids.size(),
                             ids.size() - failed, failed);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace polytrace

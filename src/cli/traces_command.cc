#include "cli/traces_command.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <functional>
#include <iostream>

#include "analysis/trace_assembly.h"
#include "cli/query_client.h"
#include "config/config_reader.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "otlp/json_codec.h"

namespace polytrace {
namespace {

constexpr std::chrono::seconds kTimeout{30};

// The query client for --endpoint; prints why not and returns nullopt when
// the endpoint is not a URL.
std::optional<QueryClient> ClientFor(const std::string& endpoint) {
  Result<Url> url = Url::Parse(endpoint);
  if (!url.ok()) {
    std::cerr << "polytrace: --endpoint: " << url.status().message() << "\n";
    return std::nullopt;
  }
  return std::optional<QueryClient>(std::in_place, *url);
}

// Whether `r` is a 200 answer; prints what went wrong otherwise.
bool Answered(const Result<HttpClientResponse>& r, const std::string& endpoint,
              const std::string& target) {
  if (!r.ok()) {
    std::cerr << fmt::format("polytrace: cannot read the answer of the query API at {}: {}\n",
                             endpoint, r.status().message());
    return false;
  }
  if (r->status != 200) {
    std::cerr << fmt::format("polytrace: {} answered {}: {}\n", target, r->status, r->body);
    return false;
  }
  return true;
}

// GETs `target`, its body handed to `on_body` as it arrives (a trace of a
// million spans is never held whole); false unless 200 (said why).
bool FetchStreamed(const std::string& endpoint, const std::string& target,
                   const std::function<bool(std::string_view)>& on_body) {
  std::optional<QueryClient> client = ClientFor(endpoint);
  return client && Answered(client->GetStreamed(target, "application/json", kTimeout, on_body),
                            endpoint, target);
}

// GETs `target` whole; nullopt unless 200 (said why).
std::optional<std::string> Fetch(const std::string& endpoint, const std::string& target) {
  std::optional<QueryClient> client = ClientFor(endpoint);
  if (!client) return std::nullopt;
  Result<HttpClientResponse> r = client->Get(target, "application/json", kTimeout);
  if (!Answered(r, endpoint, target)) return std::nullopt;
  return std::move(r->body);
}

// Writes `{"trace":X}`'s X to stdout as the pieces of the answer arrive.
class TraceUnwrapper {
 public:
  bool operator()(std::string_view piece) {
    while (head_.size() < kHead.size() && !piece.empty()) {
      head_ += piece.front();
      piece.remove_prefix(1);
      if (!kHead.starts_with(head_)) return false;
    }
    if (piece.empty()) return true;
    std::cout << last_
              << piece.substr(0, piece.size() - 1);  // the last byte may be the closing '}'
    last_ = piece.substr(piece.size() - 1);
    return true;
  }
  bool complete() const { return head_ == kHead && last_ == "}"; }

 private:
  static constexpr std::string_view kHead = R"({"trace":)";
  std::string head_;
  std::string last_;
};

std::string Millis(uint64_t nanos) { return fmt::format("{:.3f}ms", double(nanos) / 1e6); }

std::string Clock(uint64_t unix_nanos) {
  std::time_t secs = static_cast<std::time_t>(unix_nanos / 1'000'000'000);
  return fmt::format("{:%Y-%m-%d %H:%M:%S}.{:03}", fmt::gmtime(secs),
                     (unix_nanos / 1'000'000) % 1000);
}

std::string ServiceOf(const analysis::AssembledSpan& s) {
  const AnyValue* v = FindAttribute(s.resource->resource.attributes, kServiceNameKey);
  return v != nullptr ? ValueToString(*v) : "unknown_service";
}

void PrintTree(const analysis::AssembledTrace& t) {
  std::vector<std::vector<int>> children(t.spans.size());
  std::vector<int> tops;
  for (size_t i = 0; i < t.spans.size(); ++i) {
    (t.spans[i].parent >= 0 ? children[t.spans[i].parent] : tops).push_back(int(i));
  }
  std::cout << fmt::format("trace {}  {} spans  {}  started {}\n", t.trace_id.ToHex(),
                           t.spans.size(), Millis(t.end_nanos - t.start_nanos),
                           Clock(t.start_nanos));
  std::cout << fmt::format("{:<16}  {:>12}  {:>12}  {:<6}  {}\n", "SPAN", "OFFSET", "DURATION",
                           "STATUS", "SERVICE: OPERATION");
  std::function<void(int, int)> print = [&](int i, int depth) {
    const analysis::AssembledSpan& a = t.spans[i];
    const Span& s = *a.span;
    const char* status = s.status.code == StatusCodeValue::kError ? "ERROR"
                         : s.status.code == StatusCodeValue::kOk  ? "OK"
                                                                  : "";
    std::string notes = a.orphan ? "  [parent missing: " + s.parent_span_id.ToHex() + "]" : "";
    if (a.duplicate) notes += "  [duplicate span ID]";
    std::cout << fmt::format("{}  {:>12}  {:>12}  {:<6}  {}{}: {}{}\n", s.span_id.ToHex(),
                             Millis(s.start_time_unix_nano - t.start_nanos),
                             Millis(s.end_time_unix_nano > s.start_time_unix_nano
                                        ? s.end_time_unix_nano - s.start_time_unix_nano
                                        : 0),
                             status, std::string(size_t(depth) * 2, ' '), ServiceOf(a), s.name,
                             notes);
    for (int c : children[i]) print(c, depth + 1);
  };
  for (int top : tops) print(top, 0);
}

}  // namespace

int RunTracesGet(const TracesGetOptions& o) {
  std::string format = o.format.empty() && o.json ? "jaeger" : o.format;
  // The JSON forms are written out as they arrive, in bounded memory
  // whatever the trace's size; the tree needs the whole trace.
  if (format == "jaeger") {
    if (!FetchStreamed(o.endpoint, "/api/traces/" + PercentEncode(o.trace_id),
                       [](std::string_view piece) {
                         std::cout << piece;
                         return true;
                       })) {
      return 1;
    }
    std::cout << "\n";
    return 0;
  }
  if (!format.empty() && format != "otlp-json") {
    std::cerr << fmt::format("polytrace: --format \"{}\" is not jaeger or otlp-json\n", format);
    return 2;
  }
  const std::string target = "/api/v2/traces/" + PercentEncode(o.trace_id);
  if (format == "otlp-json") {
    TraceUnwrapper unwrap;
    bool fetched = FetchStreamed(o.endpoint, target, std::ref(unwrap));
    if (fetched && !unwrap.complete()) {
      std::cerr << "\npolytrace: the query API returned an unexpected body\n";
      return 1;
    }
    if (!fetched) return 1;
    std::cout << "\n";
    return 0;
  }
  std::optional<std::string> body = Fetch(o.endpoint, target);
  if (!body) return 1;
  simdjson::dom::parser parser;
  simdjson::dom::element trace;
  if (parser.parse(*body)["trace"].get(trace)) {
    std::cerr << "polytrace: the query API returned an unexpected body\n";
    return 1;
  }
  std::string otlp_json = simdjson::minify(trace);
  Traces traces;
  if (Status st = otlp::DecodeTracesJson(otlp_json, &traces); !st.ok()) {
    std::cerr << "polytrace: " << st.message() << "\n";
    return 1;
  }
  PrintTree(analysis::AssembleTrace(traces));
  return 0;
}

int RunTracesSearch(const TracesSearchOptions& o) {
  std::optional<std::chrono::nanoseconds> since = ParseGoDuration(o.since);
  if (!since) {
    std::cerr << fmt::format("polytrace: --since \"{}\" is not a duration (e.g. 15m, 1h)\n",
                             o.since);
    return 2;
  }
  std::string target;
  if (!o.traceql.empty()) {
    auto start = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch() - *since);
    target = fmt::format("/api/search?q={}&limit={}&start={}", PercentEncode(o.traceql), o.limit,
                         start.count());
  } else {
    if (o.service.empty()) {
      std::cerr << "polytrace: traces search needs --service (or --traceql)\n";
      return 2;
    }
    target = fmt::format("/api/traces?service={}&limit={}&lookback={}", PercentEncode(o.service),
                         o.limit, PercentEncode(o.since));
    if (!o.operation.empty()) target += "&operation=" + PercentEncode(o.operation);
    if (!o.min_duration.empty()) target += "&minDuration=" + PercentEncode(o.min_duration);
    if (!o.max_duration.empty()) target += "&maxDuration=" + PercentEncode(o.max_duration);
    for (const std::string& tag : o.tags) {
      size_t eq = tag.find('=');
      if (eq == std::string::npos) {
        std::cerr << fmt::format("polytrace: --tag \"{}\" is not key=value\n", tag);
        return 2;
      }
      target += "&tag=" + PercentEncode(tag.substr(0, eq) + ":" + tag.substr(eq + 1));
    }
  }
  std::optional<std::string> body = Fetch(o.endpoint, target);
  if (!body) return 1;
  if (o.json) {
    std::cout << *body << "\n";
    return 0;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*body).get(doc)) {
    std::cerr << "polytrace: the query API returned malformed JSON\n";
    return 1;
  }
  std::cout << fmt::format("{:<32}  {:>12}  {:>6}  {:<23}  {}\n", "TRACE ID", "DURATION", "SPANS",
                           "START (UTC)", "ROOT");
  size_t rows = 0;
  if (!o.traceql.empty()) {
    for (simdjson::dom::element t : doc["traces"].get_array()) {
      uint64_t start =
          std::stoull(std::string(std::string_view(t["startTimeUnixNano"].get_string())));
      std::cout << fmt::format("{:<32}  {:>10}ms  {:>6}  {:<23}  {}: {}\n",
                               std::string_view(t["traceID"]), int64_t(t["durationMs"].get_int64()),
                               int64_t(t["spanSet"]["matched"].get_int64()), Clock(start),
                               std::string_view(t["rootServiceName"]),
                               std::string_view(t["rootTraceName"]));
      ++rows;
    }
  } else {
    for (simdjson::dom::element t : doc["data"].get_array()) {
      uint64_t min_start = UINT64_MAX, max_end = 0;
      std::string root;
      size_t spans = 0;
      for (simdjson::dom::element s : t["spans"].get_array()) {
        ++spans;
        uint64_t start = uint64_t(s["startTime"].get_uint64()) * 1000;
        min_start = std::min(min_start, start);
        max_end = std::max(max_end, start + uint64_t(s["duration"].get_uint64()) * 1000);
        if (s["references"].get_array().size() == 0 && root.empty()) {
          std::string_view process = s["processID"];
          root = fmt::format("{}: {}", std::string_view(t["processes"][process]["serviceName"]),
                             std::string_view(s["operationName"]));
        }
      }
      std::cout << fmt::format("{:<32}  {:>12}  {:>6}  {:<23}  {}\n",
                               std::string_view(t["traceID"]), Millis(max_end - min_start), spans,
                               Clock(min_start), root);
      ++rows;
    }
  }
  std::cout << fmt::format("{} trace(s)\n", rows);
  return 0;
}

}  // namespace polytrace

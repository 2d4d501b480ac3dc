#include "analysis/propagation_formats.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace polytrace::analysis {
namespace {

struct HeaderFormat {
  std::string_view header;
  std::string_view format;
};

// Header names (lowercase) of the propagators the SDKs ship.
constexpr std::array<HeaderFormat, 9> kFormats = {{
    {"traceparent", "W3C Trace Context"},
    {"tracestate", "W3C tracestate"},
    {"baggage", "W3C baggage"},
    {"b3", "B3 single header"},
    {"x-b3-traceid", "B3 multi-header"},
    {"uber-trace-id", "Jaeger"},
    {"ot-tracer-traceid", "OpenTracing"},
    {"x-amzn-trace-id", "AWS X-Ray"},
    {"x-cloud-trace-context", "Google Cloud Trace"},
}};

constexpr std::string_view kCapturePrefixes[] = {"http.request.header.", "messaging.header.",
                                                 "rpc.grpc.request.metadata.",
                                                 "messaging.kafka.message.header."};

std::string_view FormatOf(std::string_view header) {
  for (const HeaderFormat& f : kFormats) {
    if (f.header == header) return f.format;
  }
  return {};
}

// Old conventions wrote header names with '_' for '-'.
std::string Normalize(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

std::string_view FirstString(const AnyValue& v) {
  if (v.type == ValueType::kString) return v.string_value;
  if (v.type == ValueType::kArray && !v.array_value.empty() &&
      v.array_value[0].type == ValueType::kString) {
    return v.array_value[0].string_value;
  }
  return {};
}

bool Has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Described(const std::vector<std::string>& headers) {
  std::vector<std::string> out;
  for (const std::string& h : headers) out.push_back(fmt::format("{} ({})", h, FormatOf(h)));
  return fmt::format("{}", fmt::join(out, ", "));
}

}  // namespace

PropagationEvidence ReadPropagationEvidence(const Span& root) {
  PropagationEvidence e;
  for (const KeyValue& kv : root.attributes) {
    for (std::string_view prefix : kCapturePrefixes) {
      if (!kv.key.starts_with(prefix)) continue;
      std::string header = Normalize(kv.key.substr(prefix.size()));
      if (FormatOf(header).empty() || Has(e.headers, header)) break;
      if (header == "traceparent") e.traceparent = FirstString(kv.value);
      e.headers.push_back(std::move(header));
      break;
    }
  }
  e.trace_state = root.trace_state;
  e.short_trace_id = std::all_of(root.trace_id.bytes.begin(), root.trace_id.bytes.begin() + 8,
                                 [](uint8_t b) { return b == 0; });
  return e;
}

std::string ExplainPropagationFormats(const Span& call, const std::string& caller,
                                      const std::string& callee, const PropagationEvidence& e) {
  bool got_w3c = Has(e.headers, "traceparent");
  if (got_w3c) {
    bool this_trace = e.traceparent.find(call.trace_id.ToHex()) != std::string::npos;
    return fmt::format(
        "{} received a traceparent{} (its span records the headers: {}) but started a new "
        "trace: its propagators do not extract W3C Trace Context. Add tracecontext to {}'s "
        "OTEL_PROPAGATORS (e.g. tracecontext,baggage)",
        callee, this_trace ? " carrying this trace's ID" : "", Described(e.headers), callee);
  }
  if (!e.headers.empty()) {
    std::vector<std::string> others;
    for (const std::string& h : e.headers) {
      if (h != "tracestate" && h != "baggage") others.push_back(h);
    }
    if (!others.empty()) {
      bool b3 = Has(others, "b3") || Has(others, "x-b3-traceid");
      return fmt::format(
          "Header formats: {} injected {} only — {}'s span records the headers it received: "
          "{}, and no traceparent — while {} extracts W3C Trace Context only. Give both the "
          "same propagators: OTEL_PROPAGATORS=tracecontext,baggage{} on {}, or tracecontext "
          "on {}",
          caller, FormatOf(others.front()), callee, Described(e.headers), callee,
          b3 ? ",b3multi" : "", callee, caller);
    }
  }
  if (!call.trace_state.empty() && e.trace_state.empty()) {
    return fmt::format(
        "Header formats: {}'s call carries tracestate \"{}\" and {}'s new trace has none, so "
        "neither traceparent nor tracestate was read on {}'s side (its propagators, or a proxy "
        "that strips the headers)",
        caller, call.trace_state, callee, callee);
  }
  if (e.short_trace_id) {
    return fmt::format(
        "Header formats: {}'s new trace has a 64-bit trace ID, as B3/Zipkin and Jaeger "
        "clients make: {} likely speaks B3 or Jaeger rather than W3C Trace Context",
        callee, callee);
  }
  if (call.kind == SpanKind::kProducer) {
    return fmt::format(
        "Which header formats each side used cannot be told from the spans; to see them, "
        "record the message's propagation headers (traceparent, tracestate, b3, "
        "uber-trace-id) on {}'s consumer span, e.g. as messaging.header.traceparent",
        callee);
  }
  return fmt::format(
      "Which header formats each side used cannot be told from the spans; to see them, "
      "capture the propagation headers on {} (e.g. "
      "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=traceparent,tracestate,b3,"
      "x-b3-traceid,uber-trace-id)",
      callee);
}

}  // namespace polytrace::analysis

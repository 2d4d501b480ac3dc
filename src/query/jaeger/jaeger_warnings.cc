#include "query/jaeger/jaeger_warnings.h"

#include <fmt/format.h>

#include <ctime>
#include <string_view>

namespace polytrace::query {

namespace {

constexpr int64_t kSecond = 1'000'000'000;

// `value` / 10^digits with its fraction's trailing zeros (and a bare dot) dropped.
std::string Decimal(uint64_t value, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  if (uint64_t fraction = value % scale; fraction != 0) {
    std::string tail = fmt::format("{:0{}d}", fraction, digits);
    while (tail.back() == '0') tail.pop_back();
    out += '.' + tail;
  }
  return out;
}

// Jaeger's sanitizer gives a span ending at or before its start an end a
// nanosecond after it: the adjuster sees that duration.
uint64_t SanitizedEnd(const Span& s) {
  return s.end_time_unix_nano > s.start_time_unix_nano ? s.end_time_unix_nano
                                                       : s.start_time_unix_nano + 1;
}

// The resource's host as Jaeger's adjuster tells hosts apart: the first of
// host.id, host.ip, host.name present, its string value ("" when it is not
// a string; the first element of an array of IPs).
std::string_view HostKey(const ResourceSpans& rs) {
  for (std::string_view key : {"host.id", "host.ip", "host.name"}) {
    const AnyValue* v = FindAttribute(rs.resource.attributes, key);
    if (v == nullptr) continue;
    if (v->type == ValueType::kString) return v->string_value;
    if (key == "host.ip" && v->type == ValueType::kArray && !v->array_value.empty() &&
        v->array_value[0].type == ValueType::kString) {
      return v->array_value[0].string_value;
    }
    return {};
  }
  return {};
}

int64_t Skew(const Span& child, const Span& parent) {
  const int64_t parent_start = int64_t(parent.start_time_unix_nano);
  const int64_t child_start = int64_t(child.start_time_unix_nano);
  const int64_t parent_end = int64_t(SanitizedEnd(parent));
  const int64_t child_end = int64_t(SanitizedEnd(child));
  const int64_t parent_duration = parent_end - parent_start;
  const int64_t child_duration = child_end - child_start;
  if (child_duration > parent_duration) {
    // Async, or the parent gave up first: only never start before it.
    return child_start < parent_start ? parent_start - child_start : 0;
  }
  if (child_start >= parent_start && child_end <= parent_end) return 0;
  const int64_t latency = (parent_duration - child_duration) / 2;
  return parent_start + latency - child_start;
}

}  // namespace

std::string GoTimeString(uint64_t unix_nanos) {
  const std::time_t seconds = static_cast<std::time_t>(unix_nanos / kSecond);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::string fraction = Decimal(unix_nanos % kSecond, 9).substr(1);  // ".xyz" or ""
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}{} +0000 UTC", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

std::string GoDurationString(int64_t nanos) {
  if (nanos == 0) return "0s";
  const std::string sign = nanos < 0 ? "-" : "";
  const uint64_t u = nanos < 0 ? uint64_t(0) - uint64_t(nanos) : uint64_t(nanos);
  if (u < 1'000) return sign + std::to_string(u) + "ns";
  if (u < 1'000'000) return sign + Decimal(u, 3) + "\u00b5s";
  if (u < uint64_t(kSecond)) return sign + Decimal(u, 6) + "ms";
  const uint64_t seconds = u / kSecond, minutes = seconds / 60, hours = minutes / 60;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes % 60) + "m";
  return out + Decimal(u % (60 * uint64_t(kSecond)), 9) + "s";
}

std::string NegativeDurationWarning(uint64_t start_unix_nanos, uint64_t end_unix_nanos) {
  return fmt::format(
      "Negative duration detected, sanitizing end timestamp. Original end timestamp: {}, "
      "adjusted to: {}",
      GoTimeString(end_unix_nanos), GoTimeString(start_unix_nanos + 1));
}

std::string OrphanWarning(const SpanId& parent) {
  return fmt::format("invalid parent span IDs={}; skipping clock skew adjustment", parent.ToHex());
}

std::string DuplicateSpanIdWarning() {
  return "duplicate span IDs; skipping clock skew adjustment";
}

std::string ClockSkewWarning(int64_t delta_nanos) {
  return "clock skew adjustment disabled; not applying calculated delta of " +
         GoDurationString(delta_nanos);
}

std::vector<int64_t> JaegerClockSkewDeltas(const analysis::AssembledTrace& trace) {
  const size_t n = trace.spans.size();
  std::vector<int64_t> delta(n, 0);
  // Each span's children, contiguous (counted, then placed), and its host.
  std::vector<uint32_t> first_child(n + 1, 0), children(n);
  std::vector<std::string_view> host(n);
  std::vector<uint32_t> roots;
  auto joins = [&](const analysis::AssembledSpan& a) {
    return !a.duplicate && a.parent >= 0 && !trace.spans[size_t(a.parent)].duplicate;
  };
  for (size_t i = 0; i < n; ++i) {
    const analysis::AssembledSpan& a = trace.spans[i];
    host[i] = HostKey(*a.resource);
    if (joins(a)) {
      ++first_child[size_t(a.parent) + 1];
    } else if (!a.duplicate && a.parent < 0) {
      roots.push_back(uint32_t(i));
    }
  }
  for (size_t i = 0; i < n; ++i) first_child[i + 1] += first_child[i];
  std::vector<uint32_t> placed(first_child.begin(), first_child.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (joins(trace.spans[i])) children[placed[size_t(trace.spans[i].parent)]++] = uint32_t(i);
  }
  struct Visit {
    uint32_t span;
    std::string_view host;  // where the delta in force came from
    int64_t delta;
  };
  std::vector<Visit> stack;  // a deep chain must not deepen the C++ stack
  for (uint32_t root : roots) {
    stack.push_back({root, host[root], 0});
    while (!stack.empty()) {
      Visit v = stack.back();
      stack.pop_back();
      const analysis::AssembledSpan& a = trace.spans[v.span];
      if (a.parent >= 0 && (host[v.span] != v.host || host[v.span].empty())) {
        v = {v.span, host[v.span], Skew(*a.span, *trace.spans[size_t(a.parent)].span)};
      }
      delta[v.span] = v.delta;
      for (uint32_t c = first_child[v.span]; c < first_child[v.span + 1]; ++c) {
        stack.push_back({children[c], v.host, v.delta});
      }
    }
  }
  return delta;
}

}  // namespace polytrace::query

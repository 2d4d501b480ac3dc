// What `polytrace verify` expects of a trace, from flags and from a YAML
// file (docs/verify.md has the full format):
//
//   services: [api-gateway, payment-service]
//   languages: [go, java]
//   min_spans: 10
//   max_duration: 5s
//   clock_skew_tolerance: 50ms
//   allow: {orphans: false, missing_service_name: false, sdk_mix: false}
//   strict: false        # true: warnings (no service.version) fail too
//   expect:
//     - span: process-payment
//       service: payment-service
//       count: 1
//       attributes:
//         payment.currency: USD
//         payment.status: {regex: "^(approved|declined)$"}
//         payment.amount: {exists: true}
//       max_duration: 2s
//
// The structural checks (one trace across every hop, valid parent links,
// no orphans, service.name everywhere, children inside their parents' time
// window, SDK versions that agree) always run, as does the warning for a
// missing service.version; `allow` switches one off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/trace_analysis.h"
#include "core/regex.h"
#include "core/status.h"

namespace polytrace::verify {

struct ValueMatcher {
  enum class Kind { kEquals, kRegex, kExists } kind = Kind::kEquals;
  std::string text;            // the value, or the regex as written
  std::optional<Regex> regex;  // kRegex (RE2)
  bool Matches(const std::optional<std::string>& value) const;
  std::string Describe() const;  // `= "USD"`, `=~ /^a/`, `exists`
};

struct SpanExpectation {
  std::string label;    // how the report names it
  std::string name;     // empty: any
  std::string service;  // empty: any
  std::optional<SpanKind> kind;
  std::optional<StatusCodeValue> status;
  size_t min_count = 1;
  std::optional<size_t> max_count;
  std::vector<std::pair<std::string, ValueMatcher>> attributes;  // span's, else its resource's
  std::optional<uint64_t> min_duration_nanos;
  std::optional<uint64_t> max_duration_nanos;
};

struct Expectations {
  std::vector<std::string> services;
  std::vector<std::string> languages;  // telemetry.sdk.language
  std::optional<size_t> min_spans;
  std::optional<size_t> max_spans;
  std::optional<uint64_t> max_duration_nanos;
  bool allow_orphans = false;
  bool allow_missing_service_name = false;
  bool allow_invalid_hops = false;
  bool allow_broken_propagation = false;
  bool allow_clock_skew = false;
  bool allow_sdk_mix = false;
  bool allow_missing_service_version = false;
  // Warnings (a service without service.version) fail the trace too.
  bool strict = false;
  analysis::AnalysisOptions analysis;
  std::vector<SpanExpectation> spans;
};

// Adds what the YAML file at `path` says to `out`; errors name file, line and key.
Status LoadExpectationsFile(const std::string& path, Expectations* out);

// --span 'NAME' or 'SERVICE/NAME': at least one such span.
Status AddSpanFlag(std::string_view text, Expectations* out);
// --attr 'SPAN:KEY=VALUE' or 'SPAN:KEY=~REGEX' (SPAN as in --span): every
// matching span has it.
Status AddAttributeFlag(std::string_view text, Expectations* out);

Result<ValueMatcher> MakeRegexMatcher(std::string pattern);

}  // namespace polytrace::verify

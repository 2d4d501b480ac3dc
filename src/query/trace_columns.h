// The trace form the web UI reads (Accept: application/vnd.polytrace.trace-columns on
// /api/v2/traces/{id}): typed columns a browser takes as they arrive, with no JSON object per
// span. A million-span trace was 874 MB of OTLP JSON, parsed into a million objects on the
// page's thread; in columns each piece of the trace becomes a few typed arrays and one table of
// the distinct strings it holds.
//
// The answer is a sequence of frames, little-endian:
//   u32 type, u32 length (a multiple of 8), `length` bytes.
// Type 1, head: JSON {"traceId": hex, "baseUnixNanos": decimal string}; times in the trace are
//   nanoseconds after it, as doubles (exact for 104 days).
// Type 2, tables: JSON {"strings": [...], "resources": [...], "scopes": [...]}: entries appended
//   to the answer's running tables (string 0 is "", never sent). A resource is {"attributes":
//   [OTLP KeyValue], "schemaUrl"}, a scope {"name", "version", "attributes", "schemaUrl"}.
// Type 3, spans (after the tables they refer to): u32 n, attributes, events, event attributes,
//   links, link attributes, two zeros; then these sections, each padded to 8 bytes:
//     f64 start[n], f64 end[n];
//     u32 idHigh[n], idLow[n], parentHigh[n], parentLow[n] (an ID's bytes 0-3 and 4-7, big-endian);
//     u32 name[n], resource[n], scope[n], statusMessage[n], traceState[n] (string and table
//       indexes), attributeEnd[n], eventEnd[n], linkEnd[n] (each span's end in the lists below);
//     u8 kind[n], u8 statusCode[n];
//     attributes: u32 key[], u32 value[], u8 type[];
//     events: f64 time[], u32 name[], u32 attributeEnd[]; their attributes as above;
//     links: u32 traceId[4 per link], u32 spanId[2 per link], u32 traceState[], u32 attributeEnd[];
//       their attributes as above.
//   An attribute's value is the string index of its text: a string as it is, an int or double
//   in decimal ("NaN", "Infinity"), a bool "true"/"false", bytes in base64, an array or map as
//   its OTLP JSON value ({"arrayValue": ...}). Types: 0 empty, 1 string, 2 bool, 3 int,
//   4 double, 5 bytes, 6 array, 7 map.
// Type 4, end: JSON {"spans": N}.
//
// Strings are shared within a piece only: the encoder's memory is a piece's, whatever the trace.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/traces.h"

namespace polytrace::query {

inline constexpr std::string_view kTraceColumnsMediaType =
    "application/vnd.polytrace.trace-columns";

class TraceColumnsEncoder {
 public:
  enum FrameType : uint32_t { kHead = 1, kTables = 2, kSpans = 3, kEnd = 4 };

  // The head, with the trace's time base (any span's start; the first's).
  void Head(const TraceId& id, uint64_t base_unix_nanos, std::string* out);
  // A piece's tables and spans.
  void Piece(const Traces& piece, std::string* out);
  void End(std::string* out);
  uint64_t spans() const { return spans_; }

 private:
  uint32_t String(std::string_view s);
  uint32_t Origin(const ResourceSpans& rs, const ScopeSpans& ss, uint32_t* scope);

  uint64_t base_ = 0;
  uint64_t spans_ = 0;
  // The piece's new strings (index from next_string_), and every
  // resource and scope sent so far by their encoded form.
  absl::flat_hash_map<std::string_view, uint32_t> piece_strings_;
  std::vector<std::string_view> new_strings_;
  std::deque<std::string> made_;  // the piece's strings not in its arena (numbers, JSON)
  uint32_t next_string_ = 1;
  absl::flat_hash_map<std::string, uint32_t> resources_, scopes_;
  std::string new_resources_, new_scopes_;  // JSON array elements, comma-separated
};

}  // namespace polytrace::query

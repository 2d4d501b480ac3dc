// The store's compact binary form of the parts of a span that are not
// columns of their own: attribute values that are not scalars (bytes,
// arrays, kvlists), a span's "extras" (trace_state, flags, dropped counts,
// events, links, status message) and its origin (resource + scope with
// their schema URLs). Read back only when a whole span is materialized.
//
// The layout is documented in docs/store-format.md. Decoders copy strings
// into the given arena and return false on damaged input.
#pragma once

#include <string>
#include <string_view>

#include "core/arena.h"
#include "core/traces.h"
#include "store/format/coding.h"

namespace polytrace::store {

void EncodeAnyValue(const AnyValue& value, std::string* out);
bool DecodeAnyValue(ByteReader& in, Arena& arena, AnyValue* value, int depth = 0);

void EncodeAttributes(const Attributes& attributes, std::string* out);
bool DecodeAttributes(ByteReader& in, Arena& arena, Attributes* attributes, int depth = 0);

// Everything of `span` except the columns (IDs, name, kind, times,
// attributes, status code). Event times are stored relative to the span's
// start: decoding REQUIRES span->start_time_unix_nano to be set already.
void EncodeSpanExtras(const Span& span, std::string* out);
bool DecodeSpanExtras(std::string_view data, Arena& arena, Span* span);

// What encoded extras hold, from their leading presence bits (a row group
// keeps the union, so a search for links or events skips groups without).
inline constexpr uint8_t kExtrasEvents = 1 << 3, kExtrasLinks = 1 << 5;
inline uint8_t ExtrasPresence(std::string_view extras) {
  ByteReader in(extras);
  uint64_t bits = 0;
  return in.GetVarint(&bits) ? static_cast<uint8_t>(bits) : 0xFF;
}

// Resource, resource schema_url, scope and scope schema_url.
void EncodeOrigin(const ResourceSpans& resource_spans, const ScopeSpans& scope_spans,
                  std::string* out);
bool DecodeOrigin(std::string_view data, Arena& arena, ResourceSpans* resource_spans,
                  ScopeSpans* scope_spans);

}  // namespace polytrace::store

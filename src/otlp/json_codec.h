// OTLP/JSON codec for traces (the OTLP JSON mapping of the protobuf).
//
// Decoding follows the OTLP specification's JSON rules: trace and span IDs are
// hex strings (not base64), enum values are integers (names are accepted
// too), 64-bit integers may be strings or numbers, field names may be
// lowerCamelCase or the original snake_case, and unknown fields are ignored.
// Encoding writes lowerCamelCase names, hex IDs and int64 as strings, as the
// Collector's file exporter and OTLP/HTTP JSON clients do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/traces.h"
#include "otlp/json_writer.h"

namespace polytrace::otlp {

// Appends the request's spans to `out` (strings are copied into out's arena).
// Errors are kInvalidArgument naming the JSON path, e.g.
//   "resourceSpans[0].scopeSpans[0].spans[2].traceId: \"abc\" is not 32 hex digits"
// `used_library_spans` (optional) tells whether spans came in the
// instrumentationLibrarySpans of OTLP before 0.19, read as scopeSpans.
Status DecodeTracesJson(std::string_view json, Traces* out, bool* used_library_spans = nullptr);

// An ExportTraceServiceRequest as one line of JSON (no trailing newline).
std::string EncodeTracesJson(const Traces& traces);
// Each of the batch's ResourceSpans as an element of the array `w` is in
// (a streamed answer writes a trace's pieces into one array).
void WriteResourceSpansJson(const Traces& traces, JsonWriter& w);
// One value ({"stringValue": ...}) and a KeyValue list, as in a request.
void WriteAnyValueJson(const AnyValue& value, JsonWriter& w);
void WriteAttributesJson(const Attributes& attributes, JsonWriter& w);

std::string EncodeExportResponseJson(int64_t rejected_spans, std::string_view error_message);
std::string EncodeRpcStatusJson(int grpc_code, std::string_view message);

}  // namespace polytrace::otlp

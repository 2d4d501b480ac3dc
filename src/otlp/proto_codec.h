// OTLP protobuf codec for traces: ExportTraceServiceRequest <-> Traces.
//
// The decoder is a focused wire-format reader: strings and bytes become views
// into the input (zero-copy), so the caller must keep the input alive for the
// life of the batch (Traces::Adopt). Field numbers are those of
// opentelemetry/proto/trace/v1/trace.proto and common.proto; unknown fields
// are skipped, as protobuf requires. The deprecated
// instrumentation_library_spans of OTLP before 0.19 are read as scope_spans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/traces.h"

namespace polytrace::otlp {

// Appends the request's spans to `out`. On error returns kInvalidArgument
// whose message names the field path and byte offset, e.g.
//   "resource_spans[0].scope_spans[1].spans[3].trace_id: length 15, expected 16 (byte 412)"
Status DecodeTracesProto(std::string_view request, Traces* out);

// What ScanTracesProto (or decoding) learns of a request.
struct TracesScan {
  size_t spans = 0;
  bool has_invalid_ids = false;  // a span with a zero trace or span ID
  // Spans came in instrumentation_library_spans (OTLP before 0.19, field
  // 1000, removed in 1.0); they were read as scope_spans, so the request's
  // bytes are not the batch's encoding (Traces::SetWire must not be used).
  bool used_library_spans = false;
};
// DecodeTracesProto, also saying what it learned.
Status DecodeTracesProto(std::string_view request, Traces* out, TracesScan* info);
// Checks a request exactly as DecodeTracesProto does (the same errors),
// without building its spans: for pipelines that forward requests as they
// came (Traces::SetUndecoded) and never read the spans.
Status ScanTracesProto(std::string_view request, TracesScan* out);

// Serializes `traces` as an ExportTraceServiceRequest: its wire form as
// received when it has one (Traces::wire), else encoded from the spans.
std::string EncodeTracesProto(const Traces& traces);
void EncodeTracesProto(const Traces& traces, std::string* out);
// How many bytes EncodeTracesProto makes, without making them.
size_t TracesProtoSize(const Traces& traces);

// ExportTraceServiceResponse; empty partial_success when rejected == 0.
std::string EncodeExportResponseProto(int64_t rejected_spans, std::string_view error_message);
// Reads rejected_spans/error_message from an ExportTraceServiceResponse.
Status DecodeExportResponseProto(std::string_view response, int64_t* rejected_spans,
                                 std::string* error_message);

// google.rpc.Status {code, message}, the body of OTLP/HTTP error responses.
// `grpc_code` is the canonical gRPC code number (3 = INVALID_ARGUMENT, ...).
std::string EncodeRpcStatusProto(int grpc_code, std::string_view message);
// google.rpc.Status with a google.rpc.RetryInfo detail (retry_delay).
std::string EncodeRpcStatusWithRetryInfoProto(int grpc_code, std::string_view message,
                                              int64_t retry_delay_ms);

}  // namespace polytrace::otlp

// ExportTraceServiceResponse and google.rpc.Status, in protobuf and JSON.
#include <fmt/format.h>

#include "otlp/json_codec.h"
#include "otlp/json_writer.h"
#include "otlp/proto_codec.h"
#include "otlp/wire.h"

namespace polytrace::otlp {

std::string EncodeExportResponseProto(int64_t rejected_spans, std::string_view error_message) {
  std::string out;
  if (rejected_spans == 0 && error_message.empty()) return out;
  std::string partial;
  if (rejected_spans != 0) {
    wire::PutTag(&partial, 1, wire::kVarint);
    wire::PutVarint(&partial, static_cast<uint64_t>(rejected_spans));
  }
  if (!error_message.empty()) wire::PutBytes(&partial, 2, error_message);
  wire::PutBytes(&out, 1, partial);
  return out;
}

Status DecodeExportResponseProto(std::string_view response, int64_t* rejected_spans,
                                 std::string* error_message) {
  *rejected_spans = 0;
  error_message->clear();
  wire::Reader r(response, 0);
  uint32_t field;
  wire::WireType type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return Status::InvalidArgument("invalid response");
    std::string_view partial;
    if (field != 1 || type != wire::kLen) {
      if (!r.Skip(type)) return Status::InvalidArgument("invalid response");
      continue;
    }
    if (!r.ReadBytes(&partial)) return Status::InvalidArgument("truncated response");
    wire::Reader p(partial, 0);
    while (!p.done()) {
      if (!p.ReadTag(&field, &type)) return Status::InvalidArgument("invalid partial_success");
      uint64_t v;
      std::string_view s;
      if (field == 1 && type == wire::kVarint && p.ReadVarint(&v)) {
        *rejected_spans = static_cast<int64_t>(v);
      } else if (field == 2 && type == wire::kLen && p.ReadBytes(&s)) {
        *error_message = std::string(s);
      } else if (!p.Skip(type)) {
        return Status::InvalidArgument("invalid partial_success");
      }
    }
  }
  return Status::Ok();
}

std::string EncodeRpcStatusProto(int grpc_code, std::string_view message) {
  std::string out;
  if (grpc_code != 0) {
    wire::PutTag(&out, 1, wire::kVarint);
    wire::PutVarint(&out, static_cast<uint64_t>(grpc_code));
  }
  if (!message.empty()) wire::PutBytes(&out, 2, message);
  return out;
}

std::string EncodeRpcStatusWithRetryInfoProto(int grpc_code, std::string_view message,
                                              int64_t retry_delay_ms) {
  std::string out = EncodeRpcStatusProto(grpc_code, message);
  // google.protobuf.Duration {seconds = 1, nanos = 2}
  std::string duration;
  int64_t seconds = retry_delay_ms / 1000;
  int64_t nanos = (retry_delay_ms % 1000) * 1'000'000;
  if (seconds) {
    wire::PutTag(&duration, 1, wire::kVarint);
    wire::PutVarint(&duration, static_cast<uint64_t>(seconds));
  }
  if (nanos) {
    wire::PutTag(&duration, 2, wire::kVarint);
    wire::PutVarint(&duration, static_cast<uint64_t>(nanos));
  }
  std::string retry_info;  // google.rpc.RetryInfo {retry_delay = 1}
  wire::PutBytes(&retry_info, 1, duration);
  std::string any;  // google.protobuf.Any {type_url = 1, value = 2}
  wire::PutBytes(&any, 1, "type.googleapis.com/google.rpc.RetryInfo");
  wire::PutBytes(&any, 2, retry_info);
  wire::PutBytes(&out, 3, any);  // google.rpc.Status.details = 3
  return out;
}

std::string EncodeExportResponseJson(int64_t rejected_spans, std::string_view error_message) {
  if (rejected_spans == 0 && error_message.empty()) return "{}";
  JsonWriter w;
  w.BeginObject();
  w.Key("partialSuccess");
  w.BeginObject();
  if (rejected_spans != 0) {
    w.Key("rejectedSpans");
    w.Int64AsString(rejected_spans);
  }
  if (!error_message.empty()) {
    w.Key("errorMessage");
    w.String(error_message);
  }
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string EncodeRpcStatusJson(int grpc_code, std::string_view message) {
  JsonWriter w;
  w.BeginObject();
  w.Key("code");
  w.Int(grpc_code);
  w.Key("message");
  w.String(message);
  w.EndObject();
  return w.Take();
}

}  // namespace polytrace::otlp

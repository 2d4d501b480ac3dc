// HTTP/2 connections as the server reads them (net/http2_session.h): the
// bytes a client sends, fed in two reads as a socket may deliver them, to
// the session with the server's limits, gRPC admission by a message's
// prefix, and a handler that answers every request with a body and
// trailers; everything the session has to say is drained after each read.
#include <cstdint>
#include <string>

#include "net/grpc_wire.h"
#include "net/http2_session.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Http2Limits limits;
  limits.max_request_body_size = 64 << 10;
  limits.max_concurrent_streams = 16;
  limits.max_header_list_bytes = 8 << 10;
  Http2Hooks hooks;
  hooks.check_head = [](const HttpRequest& head) -> std::optional<HttpResponse> {
    if (head.Header("authorization") == "no") return HttpResponse::Text(401, "no\n");
    return std::nullopt;
  };
  hooks.admit = [](uint64_t bytes) -> Result<AdmissionGate::Ticket> {
    if (bytes > 32 << 10) return Status::ResourceExhausted("over the fuzzer's budget");
    return AdmissionGate::Ticket();
  };
  hooks.refusal_form = [](const HttpRequest&, HttpResponse refusal) {
    return grpc_wire::Refusal(grpc_wire::CodeForHttpStatus(refusal.status), refusal.body);
  };
  hooks.handle = [](HttpRequest& r) {
    if (grpc_wire::ParsePrefix(r.body)) return grpc_wire::Reply(r.body.substr(0, 100));
    return HttpResponse::Text(200, r.target);
  };
  Http2Session session(limits, "fuzzer", std::move(hooks));
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = size / 2;
  std::string out;
  for (std::string_view part : {input.substr(0, split), input.substr(split)}) {
    bool ok = session.Receive(part);
    (void)session.AwaitsInput();  // the frame boundaries it follows
    out.clear();
    session.Output(&out);
    if (!ok) break;
  }
  session.GoAway();
  out.clear();
  session.Output(&out);
  return 0;
}

#include "testing/traces_sink.h"

#include <fmt/format.h>

namespace polytrace::testing {

Status TracesSink::ConsumeTraces(Traces traces) {
  std::lock_guard<std::mutex> lock(mu_);
  if (refusals_left_ == 0) {
    response_ = Status::Ok();
    refusals_left_ = -1;
  }
  if (!response_.ok()) {
    if (refusals_left_ > 0) --refusals_left_;
    return response_;
  }
  batches_.push_back(std::move(traces));
  cv_.notify_all();
  return Status::Ok();
}

void TracesSink::SetResponse(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  response_ = std::move(status);
  refusals_left_ = -1;
}

void TracesSink::RefuseNext(int calls, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  response_ = std::move(status);
  refusals_left_ = calls;
}

size_t TracesSink::SpanCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const Traces& t : batches_) n += t.SpanCount();
  return n;
}

size_t TracesSink::BatchCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_.size();
}

std::vector<size_t> TracesSink::BatchSizes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> out;
  for (const Traces& t : batches_) out.push_back(t.SpanCount());
  return out;
}

bool TracesSink::WaitForSpans(size_t spans, std::chrono::milliseconds deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, deadline, [&] {
    size_t n = 0;
    for (const Traces& t : batches_) n += t.SpanCount();
    return n >= spans;
  });
}

void TracesSink::Inspect(const std::function<void(const std::vector<Traces>&)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  fn(batches_);
}

Traces MakeTraces(const std::string& service, size_t spans, uint8_t trace_seed) {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, KeyValue{"service.name", AnyValue::String(a.Copy(service))});
  ScopeSpans& ss = rs.scope_spans.Append(a);
  ss.scope.name = "test-scope";
  for (size_t i = 0; i < spans; ++i) {
    Span& s = ss.spans.Append(a);
    s.trace_id.bytes[0] = trace_seed;
    s.trace_id.bytes[15] = static_cast<uint8_t>(i + 1);
    s.span_id.bytes[0] = static_cast<uint8_t>((i >> 8) + 1);
    s.span_id.bytes[7] = static_cast<uint8_t>(i);
    s.name = a.Copy(fmt::format("span-{}", i));
    s.kind = SpanKind::kServer;
    s.start_time_unix_nano = 1'700'000'000'000'000'000ULL + i * 1000;
    s.end_time_unix_nano = s.start_time_unix_nano + 500;
  }
  return t;
}

}  // namespace polytrace::testing

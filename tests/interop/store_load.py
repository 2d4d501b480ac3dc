"""A load driver for crash tests: sends OTLP/HTTP protobuf requests of spans
with unique IDs and remembers exactly which spans were acknowledged (200)."""
import http.client
import os
import threading

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


def make_request(spans_per_trace, traces, start_nanos):
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name", value=common_pb2.AnyValue(string_value="crash-test"))
    ss = rs.scope_spans.add()
    ss.scope.name = "store_load"
    ids = {}
    for _ in range(traces):
        trace_id = os.urandom(16)
        root = None
        span_ids = []
        for i in range(spans_per_trace):
            s = ss.spans.add()
            s.trace_id = trace_id
            s.span_id = os.urandom(8)
            if root is not None:
                s.parent_span_id = root
            root = root or s.span_id
            s.name = f"op-{i}"
            s.kind = trace_pb2.Span.SPAN_KIND_SERVER if i == 0 else trace_pb2.Span.SPAN_KIND_INTERNAL
            s.start_time_unix_nano = start_nanos + i * 1000
            s.end_time_unix_nano = start_nanos + i * 1000 + 5000
            s.attributes.add(key="i", value=common_pb2.AnyValue(int_value=i))
            span_ids.append(s.span_id.hex())
        ids[trace_id.hex()] = span_ids
    return req.SerializeToString(), ids


class Sender(threading.Thread):
    """Sends until stopped; `acked` maps trace ID -> span IDs answered 200."""

    def __init__(self, port, start_nanos, spans_per_trace=10, traces_per_request=5):
        super().__init__(daemon=True)
        self.port, self.start_nanos = port, start_nanos
        self.spans_per_trace, self.traces_per_request = spans_per_trace, traces_per_request
        self.acked = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def run(self):
        conn = None
        while not self.stopping.is_set():
            body, ids = make_request(self.spans_per_trace, self.traces_per_request, self.start_nanos)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    with self.lock:
                        self.acked.update(ids)
            except (OSError, http.client.HTTPException):
                conn = None  # killed or restarting: this request is not acknowledged
                self.stopping.wait(0.01)

"""The OTLP/gRPC receiver's own HTTP/2 server, frame by frame.

The official SDKs (test_sdk_roundtrip.py, test_tls_auth.py) show that real
gRPC clients get their spans through. These tests speak HTTP/2 with the `h2`
library to do what those clients never do: many calls at once on one
connection, a message that announces more than the limit and then stalls,
hostile frames. Each gets its precise answer and the process stays up for
the next client.
"""
import socket
import time
import urllib.request

import h2.config
import h2.connection
import h2.events
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from conftest import free_port, wait_until

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"{extra}}}
exporters:
  nop: {{}}
{extensions}
service:
  {service_extensions}
  pipelines:
    traces: {{receivers: [otlp], exporters: [nop]}}
  telemetry: {{metrics: {{address: "127.0.0.1:{metrics}"}}}}
"""


def start(start_collector, extra="", extensions="", service_extensions=""):
    grpc, metrics = free_port(), free_port()
    c = start_collector(CONFIG.format(grpc=grpc, metrics=metrics, extra=extra,
                                      extensions=extensions,
                                      service_extensions=service_extensions), [grpc, metrics])
    c.grpc, c.metrics = grpc, metrics
    return c


def export_request(n_spans, tag=0):
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "h2-client"
    scope = rs.scope_spans.add()
    for i in range(n_spans):
        s = scope.spans.add()
        s.trace_id = tag.to_bytes(8, "big") + (i + 1).to_bytes(8, "big")
        s.span_id = (i + 1).to_bytes(8, "big")
        s.name = f"call-{tag}-{i}"
        s.start_time_unix_nano, s.end_time_unix_nano = 1_700_000_000_000_000_000, 1_700_000_000_100_000_000
    return req.SerializeToString()


def frame(message, compressed=False):
    return bytes([1 if compressed else 0]) + len(message).to_bytes(4, "big") + message


class Call:
    def __init__(self):
        self.headers, self.trailers, self.data = {}, {}, b""
        self.ended, self.reset = False, None

    def status(self):
        """grpc-status from trailers, or from the headers of a trailers-only answer."""
        return int((self.trailers or self.headers).get("grpc-status", "-1"))

    def message(self):
        return (self.trailers or self.headers).get("grpc-message", "")


class H2Client:
    """One HTTP/2 connection (prior knowledge, as gRPC clients do on plaintext)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.calls, self.terminated = {}, None
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            # The server closed the connection (after a GOAWAY, say): what
            # it said is still to be read.
            self.terminated = self.terminated or "closed"

    def start(self, path=EXPORT, extra_headers=()):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":path", path),
                                     (":authority", "127.0.0.1"), ("content-type", "application/grpc"),
                                     ("te", "trailers"), *extra_headers])
        self.calls[sid] = Call()
        return sid

    def send(self, sid, data, end=True):
        while data:
            window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.pump(lambda: self.conn.local_flow_control_window(sid) > 0, 10)
                continue
            self.conn.send_data(sid, data[:window])
            data = data[window:]
        if end:
            self.conn.end_stream(sid)
        self.flush()

    def pump(self, until, timeout):
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s")
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.terminated = self.terminated or "closed"
                return
            for event in self.conn.receive_data(chunk):
                self.on(event)
            self.flush()

    def on(self, event):
        call = self.calls.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived):
            call.headers = dict(event.headers)
        elif isinstance(event, h2.events.TrailersReceived):
            call.trailers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            call.data += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            call.ended = True
        elif isinstance(event, h2.events.StreamReset):
            call.reset = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = event.error_code

    def close(self):
        self.sock.close()


def accepted_spans(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("otelcol_receiver_accepted_spans{") and 'transport="grpc"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def export_once(port, tag=0):
    c = H2Client(port)
    sid = c.start()
    c.send(sid, frame(export_request(1, tag)))
    c.pump(lambda: c.calls[sid].ended, 10)
    c.close()
    return c.calls[sid]


def test_fifty_calls_at_once_on_one_connection_each_get_their_answer(start_collector):
    col = start(start_collector)
    c = H2Client(col.grpc)
    sids = [c.start() for _ in range(50)]
    for i, sid in enumerate(sids):  # interleaved: every call open before any ends
        c.send(sid, frame(export_request(i + 1, tag=i)), end=False)
    for sid in sids:
        c.send(sid, b"", end=True)
    c.pump(lambda: all(c.calls[s].ended for s in sids), 20)
    for sid in sids:
        call = c.calls[sid]
        assert call.headers[":status"] == "200"
        assert call.status() == 0, call.message()
        assert call.data[:1] == b"\0"
        reply = trace_service_pb2.ExportTraceServiceResponse()
        reply.ParseFromString(call.data[5:])
        assert reply.partial_success.rejected_spans == 0
    wait_until(lambda: accepted_spans(col.metrics) == 50 * 51 // 2, 10,
               "the 1,275 spans to be counted as accepted")


def test_a_message_announcing_more_than_the_limit_is_refused_before_its_bytes(start_collector):
    col = start(start_collector)
    c = H2Client(col.grpc)
    sid = c.start()
    # 64 MiB announced against the 4 MiB default; then nothing more is sent.
    c.send(sid, b"\0" + (64 << 20).to_bytes(4, "big") + b"x" * 1000, end=False)
    c.pump(lambda: c.calls[sid].headers, 5)
    call = c.calls[sid]
    assert call.status() == 8, call.headers  # RESOURCE_EXHAUSTED
    assert "larger than max (67108864 vs. 4194304)" in call.message()
    c.pump(lambda: call.reset is not None, 5)
    assert call.reset == 0  # NO_ERROR: stop sending, the answer stands (RFC 9113 section 8.1)
    assert export_once(col.grpc).status() == 0


def test_wrong_encoding_and_other_methods_get_grpc_answers(start_collector):
    col = start(start_collector)
    c = H2Client(col.grpc)
    calls = {
        "unknown encoding": (c.start(extra_headers=[("grpc-encoding", "snappy")]),
                             frame(b"\x01\x02", compressed=True)),
        "compressed without encoding": (c.start(), frame(b"\x01\x02", compressed=True)),
        "two messages": (c.start(), frame(export_request(1)) * 2),
        "not protobuf": (c.start(), frame(b"\x0a\x05\x12")),
        "logs": (c.start(path="/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
                 frame(b"")),
    }
    for sid, body in calls.values():
        c.send(sid, body)
    c.pump(lambda: all(c.calls[s].ended for s, _ in calls.values()), 10)
    got = {what: (c.calls[sid].status(), c.calls[sid].message()) for what, (sid, _) in calls.items()}
    assert got["unknown encoding"][0] == 12 and "snappy" in got["unknown encoding"][1]
    assert got["compressed without encoding"][0] == 13
    # refused as its bytes arrive: more than its prefix announced was never admitted
    assert got["two messages"][0] == 13 and "longer than the" in got["two messages"][1]
    assert got["not protobuf"][0] == 3 and "resource_spans" in got["not protobuf"][1]
    assert got["logs"][0] == 12 and "TraceService/Export" in got["logs"][1]


def test_an_unauthenticated_call_is_refused_before_its_message(start_collector):
    col = start(start_collector, extra=", auth: {authenticator: bearertokenauth}",
                extensions="extensions:\n  bearertokenauth: {token: s3cret}",
                service_extensions="extensions: [bearertokenauth]")
    c = H2Client(col.grpc)
    sid = c.start()  # headers only: the message is never sent
    c.flush()
    c.pump(lambda: c.calls[sid].headers, 5)
    assert c.calls[sid].status() == 16  # UNAUTHENTICATED
    ok = c.start(extra_headers=[("authorization", "Bearer s3cret")])
    c.send(ok, frame(export_request(3)))
    c.pump(lambda: c.calls[ok].ended, 10)
    assert c.calls[ok].status() == 0
    assert "s3cret" not in col.logs()


@pytest.mark.parametrize("attack", ["garbage", "huge headers", "rapid reset", "bad preface"])
def test_hostile_frames_end_only_their_own_connection(start_collector, attack):
    col = start(start_collector)
    if attack == "bad preface":
        s = socket.create_connection(("127.0.0.1", col.grpc), timeout=10)
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\0" * 100)
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
    else:
        c = H2Client(col.grpc)
        if attack == "garbage":
            c.sock.sendall(b"\x00\x00\x04\x09\x00\x00\x00\x00\x01" + b"\xff" * 64)  # CONTINUATION out of place
            c.pump(lambda: c.terminated is not None, 5)
        elif attack == "huge headers":
            sid = c.start(extra_headers=[(f"x-pad-{i}", "v" * 1000) for i in range(100)])
            c.flush()
            c.pump(lambda: c.calls[sid].reset is not None or c.terminated is not None, 5)
        else:
            for _ in range(2000):  # open and cancel at once (CVE-2023-44487's pattern)
                sid = c.start()
                c.conn.reset_stream(sid)
            try:
                c.flush()
                c.pump(lambda: c.terminated is not None, 3)
            except (AssertionError, ConnectionResetError, BrokenPipeError):
                pass
        c.close()
    assert col.proc.poll() is None
    assert export_once(col.grpc, tag=7).status() == 0

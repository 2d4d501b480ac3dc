"""A trace bigger than the store's read piece (2,048 spans) is streamed in chunks by every
trace-by-ID endpoint (Jaeger's v1 and v3, Tempo's OTLP protobuf and v2 JSON and protobuf) and by
`polytrace traces get`, whole and exact, from the head and a segment; a client that leaves
mid-answer costs the server nothing (it stays up, the next answer is whole)."""
import http.client
import json
import socket
import subprocess

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

from conftest import Collector, free_port, polytrace_bin, wait_until

SPANS = 30_000
TRACE_ID = "5b1f0000000000000000000000000b16"
CONFIG = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{timeout: 50ms}}
exporters:
  polytrace_store:
    directory: "{data}"
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
"""


def span_id(i):
    return f"{i + 1:016x}"


def batch(first, count):
    """Spans first..first+count of the trace: three services, a wide tree (parent i // 8)."""
    by_service = {}
    for i in range(first, first + count):
        span = {"traceId": TRACE_ID, "spanId": span_id(i), "name": f"op{i % 5}", "kind": 2,
                "startTimeUnixNano": str(1_700_000_000_000_000_000 + i * 1000),
                "endTimeUnixNano": str(1_700_000_000_000_000_000 + i * 1000 + 500),
                "attributes": [{"key": "i", "value": {"intValue": str(i)}}]}
        if i:
            span["parentSpanId"] = span_id(i // 8)
        by_service.setdefault(f"svc{i % 3}", []).append(span)
    return {"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": name}}]},
         "scopeSpans": [{"scope": {"name": "big"}, "spans": spans}]} for name, spans in by_service.items()]}


def get(port, path, accept="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.getheader("Transfer-Encoding"), body


def otlp_span_ids(traces_data):
    return sorted(s.span_id.hex() for rs in traces_data.resource_spans for ss in rs.scope_spans for s in ss.spans)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("big")
    ports = {"http": free_port(), "query": free_port()}
    collector = Collector(polytrace_bin(), CONFIG.format(data=tmp / "data", **ports), tmp,
                          [ports["http"], ports["query"]])

    def send(first, count):
        conn = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=30)
        conn.request("POST", "/v1/traces", json.dumps(batch(first, count)),
                     {"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()

    try:
        for first in range(0, SPANS, 5000):
            send(first, 5000)

        def stored():
            status, _, body = get(ports["query"], f"/api/v2/traces/{TRACE_ID}")
            return status == 200 and body.count(b'"spanId"') == SPANS
        wait_until(stored, 60, f"{SPANS} spans stored")
        yield ports["query"], collector.proc
    finally:
        collector.kill()


WANT = sorted(span_id(i) for i in range(SPANS))


def test_every_trace_endpoint_streams_every_span(big):
    port, _ = big
    status, encoding, body = get(port, f"/api/v2/traces/{TRACE_ID}")
    assert (status, encoding) == (200, "chunked")
    assert sorted(s["spanId"] for rs in json.loads(body)["trace"]["resourceSpans"]
                  for ss in rs["scopeSpans"] for s in ss["spans"]) == WANT

    status, encoding, body = get(port, f"/api/v3/traces/{TRACE_ID}")
    assert (status, encoding) == (200, "chunked")
    assert sorted(s["spanId"] for rs in json.loads(body)["result"]["resourceSpans"]
                  for ss in rs["scopeSpans"] for s in ss["spans"]) == WANT

    status, encoding, body = get(port, f"/api/traces/{TRACE_ID}")
    assert (status, encoding) == (200, "chunked")
    trace = json.loads(body)["data"][0]
    assert sorted(s["spanID"] for s in trace["spans"]) == WANT
    assert all(s["warnings"] is None for s in trace["spans"]), "no span of this trace is an orphan"
    assert {p["serviceName"] for p in trace["processes"].values()} == {"svc0", "svc1", "svc2"}

    status, encoding, body = get(port, f"/api/traces/{TRACE_ID}", "application/protobuf")
    assert (status, encoding) == (200, "chunked")
    assert otlp_span_ids(TracesData.FromString(body)) == WANT

    status, encoding, body = get(port, f"/api/v2/traces/{TRACE_ID}", "application/protobuf")
    assert (status, encoding) == (200, "chunked")
    assert body[0] == 0x0A  # TraceByIDResponse.trace
    length, shift, at = 0, 0, 1
    while True:
        b = body[at]
        at += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    assert length == len(body) - at
    assert otlp_span_ids(TracesData.FromString(body[at:])) == WANT


def test_cli_streams_the_trace(big):
    port, _ = big
    endpoint = ["--endpoint", f"http://127.0.0.1:{port}"]
    out = subprocess.run([polytrace_bin(), "traces", "get", TRACE_ID, "--format", "otlp-json", *endpoint],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sorted(s["spanId"] for rs in json.loads(out.stdout)["resourceSpans"]
                  for ss in rs["scopeSpans"] for s in ss["spans"]) == WANT
    out = subprocess.run([polytrace_bin(), "traces", "get", TRACE_ID, "--format", "jaeger", *endpoint],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sorted(s["spanID"] for s in json.loads(out.stdout)["data"][0]["spans"]) == WANT
    tree = subprocess.run([polytrace_bin(), "traces", "get", TRACE_ID, *endpoint],
                          capture_output=True, text=True, timeout=60)
    assert tree.returncode == 0, tree.stderr
    assert f"{SPANS} spans" in tree.stdout.splitlines()[0]
    assert len(tree.stdout.splitlines()) == SPANS + 2


def test_clients_that_leave_mid_answer_cost_nothing(big):
    port, proc = big
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(f"GET /api/traces/{TRACE_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            got = b""
            while len(got) < 65536:
                piece = s.recv(65536)
                assert piece, "the server closed before answering"
                got += piece
            assert got.startswith(b"HTTP/1.1 200")
    assert proc.poll() is None
    status, _, body = get(port, f"/api/traces/{TRACE_ID}")
    assert status == 200
    assert sorted(s["spanID"] for s in json.loads(body)["data"][0]["spans"]) == WANT

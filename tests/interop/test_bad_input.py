"""Bad input gets a precise error and the right status; the process stays up
and a well-behaved client sending at the same time loses nothing."""
import gzip
import json
import threading
import urllib.error
import urllib.request

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2

from conftest import free_port, wait_until

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}", max_recv_msg_size_mib: 1}}
      http: {{endpoint: "127.0.0.1:{http}", max_request_body_size: 1048576}}
exporters:
  file: {{path: "{out}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [file]}}
  telemetry: {{metrics: {{address: "127.0.0.1:{metrics}"}}}}
"""


def request(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="ok", attribute=None):
    req = trace_service_pb2.ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = trace_id, span_id, name
    if attribute is not None:
        kv = span.attributes.add()
        kv.key = "a"
        kv.value.CopyFrom(attribute)
    return req.SerializeToString()


def post(port, body, content_type="application/x-protobuf", headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", body,
                                 {"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def nested_kvlist(depth):
    value = common_pb2.AnyValue(string_value="leaf")
    for _ in range(depth):
        outer = common_pb2.AnyValue()
        kv = outer.kvlist_value.values.add()
        kv.key = "k"
        kv.value.CopyFrom(value)
        value = outer
    return value


CASES = [
    # name, body, content type, extra headers, expected status, text expected in the body
    ("truncated protobuf", request()[:-3], "application/x-protobuf", {}, 400, b"truncated"),
    ("garbage protobuf", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "application/x-protobuf", {}, 400, b"invalid"),
    ("wrong wire type", b"\x08\x01", "application/x-protobuf", {}, 400, b"wrong wire type"),
    ("trace id of 15 bytes", request(trace_id=b"\x01" * 15), "application/x-protobuf", {}, 400,
     b"trace_id: length 15, expected 16"),
    ("invalid UTF-8 name", request(name="x").replace(b"\x2a\x01x", b"\x2a\x01\xff"), "application/x-protobuf",
     {}, 400, b"not valid UTF-8"),
    ("deeply nested kvlist", request(attribute=nested_kvlist(80)), "application/x-protobuf", {}, 400,
     b"nested deeper than 64"),
    ("invalid JSON", b'{"resourceSpans": [', "application/json", {}, 400, b"invalid JSON"),
    ("JSON span id of wrong length", json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "01" * 16, "spanId": "abc"}]}]}]}).encode(), "application/json", {}, 400,
     b"resourceSpans[0].scopeSpans[0].spans[0].spanId"),
    ("gzip bomb", gzip.compress(b"\0" * (64 << 20)), "application/x-protobuf", {"Content-Encoding": "gzip"},
     413, b"exceeds the limit"),
    ("oversized body", b"\0" * (2 << 20), "application/x-protobuf", {}, 413, b"exceeds the limit"),
    ("wrong content type", request(), "text/plain", {}, 415, b"application/x-protobuf"),
    ("unknown encoding", request(), "application/x-protobuf", {"Content-Encoding": "br"}, 415, b"br"),
    ("all-zero trace id", request(trace_id=b"\0" * 16), "application/x-protobuf", {}, 200,
     b"trace_id is all zero"),
    ("unknown fields are ignored", request() + b"\xf8\x06\x01", "application/x-protobuf", {}, 200, b""),
]


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    from conftest import Collector, polytrace_bin
    d = tmp_path_factory.mktemp("bad")
    ports = {"grpc": free_port(), "http": free_port(), "metrics": free_port()}
    c = Collector(polytrace_bin(), CONFIG.format(out=d / "out.jsonl", **ports), d,
                  [ports["grpc"], ports["http"]])
    c.ports_by_name = ports
    yield c
    assert c.stop() == 0, c.logs()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_request_gets_the_right_status_and_message(collector, case):
    name, body, ctype, headers, status, text = case
    got_status, got_body = post(collector.ports_by_name["http"], body, ctype, headers)
    assert got_status == status, (name, got_body)
    assert text in got_body, (name, got_body)
    assert collector.proc.poll() is None


def test_grpc_garbage_is_invalid_argument(collector):
    with grpc.insecure_channel(f"127.0.0.1:{collector.ports_by_name['grpc']}") as channel:
        export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                                     request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as e:
            export(b"\x0a\x05\x12", timeout=10)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "resource_spans" in e.value.details()
        with pytest.raises(grpc.RpcError) as e:
            export(b"\0" * (2 << 20), timeout=10)
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert export(request(), timeout=10) == b""


def test_a_good_client_is_unaffected_by_a_bad_one(collector):
    port = collector.ports_by_name["http"]
    results = []

    def good():
        for i in range(200):
            try:
                results.append(post(port, request(span_id=(i + 1).to_bytes(8, "big")))[0])
            except OSError as e:  # a good client must never see its connection fail
                results.append(repr(e))

    t = threading.Thread(target=good)
    t.start()
    while t.is_alive():
        for _, body, ctype, headers, _, _ in CASES[:10]:
            try:
                post(port, body, ctype, headers)
            except OSError:
                pass  # the server may cut a bad client short (e.g. 413 before a huge body)
    t.join()
    assert results.count(200) == 200, [r for r in results if r != 200][:5]
    assert collector.proc.poll() is None

"""Jaeger's query API answered as Jaeger answers it, checked against Jaeger
itself: Jaeger v2 (pinned in bench/jaeger/go.mod, built from the Go module
proxy by scripts/build-jaeger.sh) with its memory store receives, from
polytrace's otlphttp exporter, exactly the spans polytrace stores: those of
the official SDKs and a request of edge cases (every attribute type, events,
links, error status, trace state, an orphan, a clock that lags, a resource
without service.name). Every trace, service list, operation list and search
must then be the same JSON from both, but for the three differences
docs/api.md names."""
import copy
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import ROOT, Collector, free_port, polytrace_bin, wait_until
from test_sdk_roundtrip import PROGRAMS, SDK

JAEGER_CONFIG = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  jaeger_storage_exporter: {{trace_storage: memstore}}
extensions:
  jaeger_storage:
    backends:
      memstore: {{memory: {{max_traces: 100000}}}}
  jaeger_query:
    storage: {{traces: memstore}}
    http: {{endpoint: "127.0.0.1:{query}"}}
    grpc: {{endpoint: "127.0.0.1:{query_grpc}"}}
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces: {{receivers: [otlp], exporters: [jaeger_storage_exporter]}}
  telemetry: {{metrics: {{level: none}}}}
"""

# polytrace stores what it receives and forwards the same batches to Jaeger.
POLYTRACE_CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{timeout: 50ms}}
exporters:
  polytrace_store: {{directory: "{data}"}}
  otlphttp/jaeger: {{endpoint: "http://127.0.0.1:{jaeger_http}"}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store, otlphttp/jaeger]}}
  telemetry: {{metrics: {{level: none}}}}
"""

SERVICES_OF_EDGES = ["edge-gateway", "edge-worker"]


def jaeger_binary():
    built = subprocess.run([str(ROOT / "scripts" / "build-jaeger.sh")], capture_output=True, text=True,
                           timeout=1800)
    assert built.returncode == 0, built.stderr
    return built.stdout.strip().splitlines()[-1]


class Systems:
    def __init__(self, workdir):
        self.jaeger_ports = {"http": free_port(), "query": free_port(), "query_grpc": free_port()}
        self.jaeger = Collector(jaeger_binary(), JAEGER_CONFIG.format(**self.jaeger_ports), workdir,
                                [self.jaeger_ports["http"], self.jaeger_ports["query"]])
        self.grpc, self.http, query = free_port(), free_port(), free_port()
        text = POLYTRACE_CONFIG.format(grpc=self.grpc, http=self.http, query=query, data=workdir / "data",
                                       jaeger_http=self.jaeger_ports["http"])
        self.polytrace = Collector(polytrace_bin(), text, workdir, [self.grpc, self.http, query])
        self.query = {"polytrace": query, "jaeger": self.jaeger_ports["query"]}

    def get(self, who, path):
        url = f"http://127.0.0.1:{self.query[who]}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        assert self.polytrace.stop() == 0, self.polytrace.logs()
        self.jaeger.stop()


def hex_id(n, width):
    return f"{n:0{width}x}"


def edge_cases(t0):
    """One OTLP/JSON request: what SDKs rarely send but Jaeger still shows."""
    ms = 1_000_000

    def attr(key, value):
        return {"key": key, "value": value}

    every_type = [
        attr("str", {"stringValue": "text"}), attr("int", {"intValue": "-42"}),
        attr("double", {"doubleValue": 2.5}), attr("bool", {"boolValue": True}),
        attr("bytes", {"bytesValue": "AAEC"}),
        attr("array", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}),
        attr("map", {"kvlistValue": {"values": [attr("inner", {"stringValue": "v"})]}}),
        attr("http.response.status_code", {"intValue": "503"}),
    ]
    trace, other, orphan, anonymous, shared, twice = (hex_id(0xe0 + i, 32) for i in range(6))

    def span(trace_id, span_id, name, kind, start, end, **more):
        s = {"traceId": trace_id, "spanId": hex_id(span_id, 16), "name": name, "kind": kind,
             "startTimeUnixNano": str(start), "endTimeUnixNano": str(end)}
        s.update(more)
        return s

    gateway = [
        span(trace, 1, "GET /checkout", 2, t0, t0 + 90 * ms, attributes=every_type, traceState="vendor=a,other=b",
             status={"code": 2, "message": "upstream failed"},
             events=[{"timeUnixNano": str(t0 + 5 * ms), "name": "retry",
                      "attributes": [attr("attempt", {"intValue": "2"}), attr("reason", {"stringValue": "timeout"})]},
                     {"timeUnixNano": str(t0 + 6 * ms), "name": "exception",
                      "attributes": [attr("exception.type", {"stringValue": "IOError"}),
                                     attr("exception.message", {"stringValue": "reset"})]}],
             links=[{"traceId": other, "spanId": hex_id(9, 16), "traceState": "k=v",
                     "attributes": [attr("link.reason", {"stringValue": "batch"})]}]),
        span(trace, 2, "call worker", 3, t0 + 10 * ms, t0 + 80 * ms, parentSpanId=hex_id(1, 16),
             status={"code": 1}, attributes=[attr("peer.service", {"stringValue": "edge-worker"})]),
        span(trace, 5, "enqueue", 4, t0 + 20 * ms, t0 + 21 * ms, parentSpanId=hex_id(1, 16)),
        span(other, 9, "batch job", 1, t0, t0 + 5 * ms),
        # Its parent never arrives: an orphan.
        span(orphan, 7, "lost parent", 2, t0, t0 + 3 * ms, parentSpanId=hex_id(0xdead, 16)),
        # Zipkin's shared spans: the server side of a call reuses its client's span ID.
        span(shared, 0x40, "root", 2, t0, t0 + 50 * ms),
        span(shared, 0x41, "rpc", 3, t0 + 1 * ms, t0 + 40 * ms, parentSpanId=hex_id(0x40, 16),
             attributes=[attr("peer.ipv4", {"intValue": "3232235777"})]),
        # Sent twice (an exporter's retry), and an ID two different spans carry.
        span(twice, 0x51, "retried", 2, t0, t0 + 9 * ms),
        span(twice, 0x51, "retried", 2, t0, t0 + 9 * ms),
        span(twice, 0x52, "collides", 1, t0 + 1 * ms, t0 + 2 * ms, parentSpanId=hex_id(0x51, 16)),
        span(twice, 0x52, "collision", 1, t0 + 3 * ms, t0 + 4 * ms, parentSpanId=hex_id(0x51, 16)),
    ]
    worker = [
        # The worker's clock lags the gateway's: it starts before its parent.
        span(trace, 3, "handle", 2, t0 + 5 * ms, t0 + 60 * ms, parentSpanId=hex_id(2, 16),
             attributes=[attr("db.system", {"stringValue": "postgresql"})]),
        span(trace, 4, "consume", 5, t0 + 30 * ms, t0 + 40 * ms, parentSpanId=hex_id(5, 16)),
        span(shared, 0x41, "rpc", 2, t0 + 2 * ms, t0 + 39 * ms, parentSpanId=hex_id(0x40, 16)),
    ]
    nameless = [span(anonymous, 8, "no service", 1, t0, t0 + 1 * ms)]
    resource = lambda service, *more: {"attributes": [attr("service.name", {"stringValue": service}), *more]}
    return {"resourceSpans": [
        {"resource": resource("edge-gateway", attr("host.name", {"stringValue": "gw-1"}),
                              attr("process.pid", {"intValue": "1234"})),
         "scopeSpans": [{"scope": {"name": "edge.scope", "version": "1.2.3"}, "spans": gateway}]},
        {"resource": resource("edge-worker", attr("host.name", {"stringValue": "wk-1"}),
                              attr("ip", {"intValue": "167772161"})),
         "scopeSpans": [{"scope": {"name": "edge.scope"}, "spans": worker}]},
        {"resource": {"attributes": [attr("host.name", {"stringValue": "anon-1"})]},
         "scopeSpans": [{"scope": {}, "spans": nameless}]},
    ]}, [trace, other, orphan, anonymous, shared, twice]


def send_sdk_spans(systems, language, protocol, workdir):
    run_id = str(uuid.uuid4())
    oracle = workdir / f"sent-{language}.json"
    endpoint = f"http://127.0.0.1:{systems.grpc if protocol == 'grpc' else systems.http}"
    cmd = PROGRAMS[(language, protocol)] + ["--endpoint", endpoint, "--run-id", run_id, "--out", str(oracle)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(SDK / language))
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    spans = json.loads(oracle.read_text(encoding="utf-8"))["spans"]
    return {s["trace_id"] for s in spans}, len(spans)


# The difference docs/api.md names: a resource without service.name is "unknown_service" (the
# OpenTelemetry SDKs' default) where Jaeger names it "missing-service-name".
JAEGER_NAMELESS = "missing-service-name"


def service_name(name, who):
    return "unknown_service" if who == "jaeger" and name == JAEGER_NAMELESS else name


def normalized(trace, who):
    """Jaeger orders a trace's spans as its store hands them out (by ID: in no fixed order) and
    numbers processes p1, p2... in the order its spans meet them: spans are compared in span ID
    order, each with its process's content, not its number."""
    trace = copy.deepcopy(trace)
    processes = trace.pop("processes")
    for process in processes.values():
        process["serviceName"] = service_name(process["serviceName"], who)
    # Which of two spans with one ID gets Jaeger's duplicate warning follows that order too: the
    # warnings are counted per trace.
    trace["duplicate warnings"] = 0
    for span in trace["spans"]:
        span["process"] = processes[span.pop("processID")]
        warnings = [w for w in span["warnings"] or [] if not w.startswith("duplicate span IDs")]
        trace["duplicate warnings"] += len(span["warnings"] or []) - len(warnings)
        span["warnings"] = warnings or None
    trace["spans"].sort(key=lambda s: (s["spanID"], s["startTime"], s["operationName"]))
    trace["process count"] = len(processes)
    return trace


def differences(ours, theirs, path="", out=None):
    """Where two JSON values differ: each place's path and both values."""
    out = [] if out is None else out
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            differences(ours.get(key, "<absent>"), theirs.get(key, "<absent>"), f"{path}.{key}", out)
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            differences(a, b, f"{path}[{i}]", out)
    elif ours != theirs or type(ours) is not type(theirs):
        out.append(f"{path}: polytrace {json.dumps(ours)[:300]} / jaeger {json.dumps(theirs)[:300]}")
    return out


@pytest.fixture(scope="module")
def systems(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("jaeger-parity")
    s = Systems(workdir)
    t0 = (time.time_ns() // 1000 - 60_000_000) * 1000  # a minute ago, whole microseconds
    request, edge_ids = edge_cases(t0)
    req = urllib.request.Request(f"http://127.0.0.1:{s.http}/v1/traces", data=json.dumps(request).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    s.traces = {trace_id: None for trace_id in edge_ids}
    s.services = set(SERVICES_OF_EDGES)
    for language, protocol in [("python", "http/protobuf"), ("go", "grpc"), ("node", "http/protobuf"),
                               ("java", "http/protobuf")]:
        ids, _ = send_sdk_spans(s, language, protocol, workdir)
        s.traces.update({trace_id: None for trace_id in ids})
    # Both must hold every trace whole: polytrace as soon as it answers, Jaeger once the export arrived.
    for who in ("polytrace", "jaeger"):
        for trace_id in s.traces:
            def whole(trace_id=trace_id, who=who):
                status, body = s.get(who, f"/api/traces/{trace_id}")
                return status == 200 and body["data"] and body
            wait_until(whole, 30, f"trace {trace_id} in {who}")
    yield s
    s.stop()


# Zipkin's shared spans (a call's server side with its client's span ID).
SHARED = hex_id(0xe4, 32)


def test_every_trace_is_the_same_json(systems):
    assert len(systems.traces) >= 6  # the SDK programs share their trace IDs: one trace, four languages
    for trace_id in sorted(systems.traces):
        answers = {}
        for who in ("polytrace", "jaeger"):
            status, body = systems.get(who, f"/api/traces/{trace_id}")
            assert status == 200, (who, trace_id, body)
            assert len(body["data"]) == 1
            answers[who] = normalized(body["data"][0], who)
            assert set(body) == {"data", "total", "limit", "offset", "errors"}, body.keys()
            answers[who + " envelope"] = {k: body[k] for k in ("total", "limit", "offset", "errors")}
        assert answers["polytrace envelope"] == answers["jaeger envelope"]
        ours, theirs = answers["polytrace"], answers["jaeger"]
        assert not differences(ours, theirs), f"trace {trace_id}:\n" + "\n".join(differences(ours, theirs))


def test_warnings_are_jaegers_and_the_nameless_resource_differs_as_documented(systems):
    """The warnings compared above are there to compare: the orphan's, the lagging clock's."""
    trace, orphan, anonymous = hex_id(0xe0, 32), hex_id(0xe2, 32), hex_id(0xe3, 32)
    _, ours = systems.get("polytrace", f"/api/traces/{orphan}")
    assert ours["data"][0]["spans"][0]["warnings"] == [
        "invalid parent span IDs=000000000000dead; skipping clock skew adjustment"]
    _, ours = systems.get("polytrace", f"/api/traces/{trace}")
    warnings = {s["operationName"]: s["warnings"] for s in ours["data"][0]["spans"]}
    assert warnings["handle"] == ["clock skew adjustment disabled; not applying calculated delta of 12.5ms"]
    _, ours = systems.get("polytrace", f"/api/traces/{anonymous}")
    assert [p["serviceName"] for p in ours["data"][0]["processes"].values()] == ["unknown_service"]
    # The server side of a shared span gets a new ID under its client, as Jaeger gives it.
    _, ours = systems.get("polytrace", f"/api/traces/{SHARED}")
    parents = {s["spanID"][-2:]: [r["spanID"][-2:] for r in s["references"]] for s in ours["data"][0]["spans"]}
    assert parents == {"40": [], "41": ["40"], "01": ["41"]}


def test_services_and_operations_are_the_same(systems):
    _, ours = systems.get("polytrace", "/api/services")
    _, theirs = systems.get("jaeger", "/api/services")
    assert sorted(ours["data"]) == sorted(service_name(s, "jaeger") for s in theirs["data"])
    assert ours["total"] == theirs["total"]
    assert systems.services <= set(ours["data"])
    for service in ours["data"]:
        quoted = urllib.parse.quote(service, safe="")
        theirs_quoted = JAEGER_NAMELESS if service == "unknown_service" else quoted
        _, ours_ops = systems.get("polytrace", f"/api/services/{quoted}/operations")
        _, theirs_ops = systems.get("jaeger", f"/api/services/{theirs_quoted}/operations")
        assert sorted(ours_ops["data"]) == sorted(theirs_ops["data"]), service
        for kind in ("", "&spanKind=server", "&spanKind=client"):
            _, ours_ops = systems.get("polytrace", f"/api/operations?service={quoted}{kind}")
            _, theirs_ops = systems.get("jaeger", f"/api/operations?service={theirs_quoted}{kind}")
            key = lambda op: (op["name"], op["spanKind"])
            assert sorted(ours_ops["data"], key=key) == sorted(theirs_ops["data"], key=key), (service, kind)
            assert ours_ops["total"] == theirs_ops["total"], (service, kind)


@pytest.mark.parametrize("query", [
    "service=edge-gateway",
    "service=edge-gateway&operation=GET%20%2Fcheckout",
    "service=edge-worker&tags=%7B%22db.system%22%3A%22postgresql%22%7D",
    "service=edge-gateway&tags=%7B%22error%22%3A%22true%22%7D",
    "service=edge-gateway&minDuration=50ms",
    "service=edge-gateway&maxDuration=10ms",
])
def test_searches_find_the_same_traces(systems, query):
    now = time.time_ns() // 1000
    window = f"&start={now - 3_600_000_000}&end={now + 60_000_000}&limit=20"
    answers = {}
    for who in ("polytrace", "jaeger"):
        status, body = systems.get(who, f"/api/traces?{query}{window}")
        assert status == 200, (who, body)
        answers[who] = sorted((normalized(t, who) for t in body["data"]), key=lambda t: t["traceID"])
    assert [t["traceID"] for t in answers["polytrace"]] == [t["traceID"] for t in answers["jaeger"]], query
    assert answers["polytrace"], f"{query} found nothing in either"
    found = differences(answers["polytrace"], answers["jaeger"])
    assert not found, f"{query}:\n" + "\n".join(found)


def dotted(attributes):
    """Jaeger's v3 answers dot a numeric ip or peer.ipv4, as its v1 answers do; polytrace's v3
    answers keep what was sent (docs/api.md)."""
    out = []
    for a in attributes:
        if a["key"] in ("ip", "peer.ipv4") and "intValue" in a["value"]:
            n = int(a["value"]["intValue"]) & 0xFFFFFFFF
            a = {"key": a["key"], "value": {"stringValue": ".".join(str(n >> s & 255) for s in (24, 16, 8, 0))}}
        out.append(a)
    return out


def v3_normalized(answer, who):
    """Jaeger's v3 answers come from its adjusted model: attributes in key order, events in name
    order, its warnings as an `@jaeger@warnings` attribute, a nameless resource given
    service.name, a span ending at or before its start ending a nanosecond after it. polytrace's
    v3 answers are the spans as they were sent (docs/api.md)."""
    answer = copy.deepcopy(answer)
    spans = []
    for rs in answer["result"]["resourceSpans"]:
        resource = sorted((a for a in dotted(rs["resource"].get("attributes", []))
                           if not (who == "jaeger" and a["key"] == "service.name"
                                   and a["value"].get("stringValue") == JAEGER_NAMELESS)),
                          key=lambda a: a["key"])
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if who == "polytrace" and int(span["endTimeUnixNano"]) <= int(span["startTimeUnixNano"]):
                    span["endTimeUnixNano"] = str(int(span["startTimeUnixNano"]) + 1)  # Jaeger's sanitizer
                span["attributes"] = sorted((a for a in dotted(span.get("attributes", []))
                                             if a["key"] != "@jaeger@warnings"),
                                            key=lambda a: a["key"])
                span["events"] = sorted(span.get("events", []), key=lambda e: (e["name"], e["timeUnixNano"]))
                for event in span["events"]:
                    event["attributes"] = sorted(event.get("attributes", []), key=lambda a: a["key"])
                for link in span.get("links", []):
                    link["attributes"] = sorted(link.get("attributes", []), key=lambda a: a["key"])
                spans.append({"resource": resource, "scope": ss["scope"], "span": span})
    return sorted(spans, key=lambda s: (s["span"]["spanId"], s["span"]["startTimeUnixNano"]))


def test_v3_traces_services_and_operations_are_the_same(systems):
    # Not adjusted in polytrace's v3 answers (docs/api.md): shared Zipkin IDs, a span stored twice.
    for trace_id in sorted(set(systems.traces) - {SHARED, hex_id(0xe5, 32)}):
        answers = {}
        for who in ("polytrace", "jaeger"):
            status, body = systems.get(who, f"/api/v3/traces/{trace_id}")
            assert status == 200, (who, trace_id, body)
            answers[who] = v3_normalized(body, who)
        found = differences(answers["polytrace"], answers["jaeger"])
        assert not found, f"trace {trace_id}:\n" + "\n".join(found[:40])
    _, ours = systems.get("polytrace", "/api/v3/services")
    _, theirs = systems.get("jaeger", "/api/v3/services")
    assert sorted(ours["services"]) == sorted(service_name(s, "jaeger") for s in theirs["services"])
    for service in ours["services"]:
        quoted = urllib.parse.quote(service, safe="")
        theirs_quoted = JAEGER_NAMELESS if service == "unknown_service" else quoted
        _, ours_ops = systems.get("polytrace", f"/api/v3/operations?service={quoted}")
        _, theirs_ops = systems.get("jaeger", f"/api/v3/operations?service={theirs_quoted}")
        key = lambda op: (op["name"], op["spanKind"])
        assert sorted(ours_ops["operations"], key=key) == sorted(theirs_ops["operations"], key=key), service

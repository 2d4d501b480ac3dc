"""A Jaeger search returns its `limit` newest traces, as Jaeger's stores do, whether the spans
are in memory or in a compacted segment read after a restart (a compacted window keeps its
traces in trace-ID order: a search that stopped at its first `limit` matches gave the first by
ID there, not the newest). So does a Tempo search with `with (most_recent=true)`, newest by the
trace's start, as Tempo's combiner keeps them."""
import json
import random
import subprocess
import time
import urllib.parse
import urllib.request

from conftest import Collector, free_port, polytrace_bin
from test_hostile_requests import STORE_CONFIG as CONFIG  # OTLP/HTTP -> store, the query API


TRACES = 3000  # two spans each: 6,000 spans, three row groups of a compacted segment
STEP_NANOS = 500_000_000  # a trace every half second: 25 minutes back from now


def make_traces():
    """Trace IDs at random (so ID order is not time order), starts half a second apart; every
    seventh trace's payment span has status code 500. Returns {trace ID: (start, error)}."""
    rng = random.Random(20)
    first = time.time_ns() - TRACES * STEP_NANOS
    return {f"{rng.getrandbits(128):032x}": (first + i * STEP_NANOS, i % 7 == 0) for i in range(TRACES)}


def batch(traces):
    def span(trace_id, span_id, parent, name, start, attrs):
        s = {"traceId": trace_id, "spanId": span_id, "name": name, "kind": 2,
             "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 5_000_000),
             "attributes": [{"key": k, "value": {"intValue": str(v)}} for k, v in attrs.items()]}
        if parent:
            s["parentSpanId"] = parent
        return s

    def resource(service, spans):
        return {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [{"scope": {"name": "newest"}, "spans": spans}]}

    gateway, payment = [], []
    for trace_id, (start, error) in traces:
        gateway.append(span(trace_id, trace_id[:16], None, "GET /checkout", start, {}))
        payment.append(span(trace_id, trace_id[16:], trace_id[:16], "charge", start + 1_000_000,
                            {"http.response.status_code": 500 if error else 200}))
    return json.dumps({"resourceSpans": [resource("gateway", gateway), resource("payment", payment)]}).encode()


def send(port, traces):
    items = list(traces.items())
    random.Random(21).shuffle(items)  # arrival order is neither time nor ID order
    for i in range(0, len(items), 500):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=batch(items[i:i + 500]),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200


def newest(traces, limit, errors_only=False, service="gateway"):
    """The oracle: by the latest matching span's start, then trace ID."""
    offset = 1_000_000 if service == "payment" else 0
    found = [(start + offset, tid) for tid, (start, error) in traces.items() if error or not errors_only]
    return [tid for _, tid in sorted(found, key=lambda x: (-x[0], x[1]))[:limit]]


def search(query_port, service, limit, tags=None):
    q = {"service": service, "limit": str(limit), "lookback": "1h"}
    if tags:
        q["tags"] = json.dumps(tags)
    with urllib.request.urlopen(f"http://127.0.0.1:{query_port}/api/traces?{urllib.parse.urlencode(q)}",
                                timeout=30) as r:
        body = json.loads(r.read())
    return [t["traceID"] for t in body["data"]]  # in the order given: the newest first


def tempo_search(query_port, query, limit):
    q = urllib.parse.urlencode({"q": query, "limit": str(limit)})
    with urllib.request.urlopen(f"http://127.0.0.1:{query_port}/api/search?{q}", timeout=30) as r:
        body = json.loads(r.read())
    return [t["traceID"] for t in body["traces"]]


def check_searches(query_port, traces, where):
    # Tempo's most_recent: by the trace's start (its gateway span's), then trace ID.
    for query, limit, errors_only in (
            ("{} with (most_recent=true)", 3, False),
            ('{ resource.service.name = "payment" && span.http.response.status_code = 500 } '
             "with (most_recent=true)", 5, True)):
        got = tempo_search(query_port, query, limit)
        want = newest(traces, limit, errors_only=errors_only)
        assert got == want, f"{where}: {query} limit={limit}: {got} != {want}"
    for service, limit, tags in (("gateway", 1, None), ("gateway", 20, None), ("payment", 7, None),
                                 ("payment", 5, {"http.response.status_code": "500"})):
        got = search(query_port, service, limit, tags)
        want = newest(traces, limit, errors_only=tags is not None, service=service)
        assert got == want, f"{where}: service={service} limit={limit} tags={tags}: {got} != {want}"


def test_a_jaeger_search_returns_its_newest_traces_from_memory_and_after_compaction(tmp_path):
    ports = {"http": free_port(), "query": free_port(), "metrics": free_port()}
    data = tmp_path / "data"
    config = CONFIG.format(data=data, **ports)
    traces = make_traces()
    collector = Collector(polytrace_bin(), config, tmp_path, [ports["http"], ports["query"]])
    try:
        send(ports["http"], traces)
        check_searches(ports["query"], traces, "in memory")
    finally:
        assert collector.stop() == 0, collector.logs()
    # Every window merged as if closed: its traces in ID order, in row groups of 2,048 spans.
    compact = subprocess.run([polytrace_bin(), "store", "compact", str(data), "--json"], capture_output=True,
                             text=True, timeout=120)
    assert compact.returncode == 0, compact.stdout + compact.stderr
    stats = subprocess.run([polytrace_bin(), "store", "stats", str(data), "--json"], capture_output=True,
                           text=True, timeout=60)
    assert json.loads(stats.stdout)["spans"] == 2 * TRACES
    collector = Collector(polytrace_bin(), config, tmp_path, [ports["http"], ports["query"]])
    try:
        check_searches(ports["query"], traces, "compacted, after a restart")
    finally:
        assert collector.stop() == 0, collector.logs()

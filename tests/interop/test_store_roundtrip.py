"""Spans sent by the official OpenTelemetry SDKs come back field-exact from
the embedded store: through Tempo's /api/v2/traces/{id} (OTLP JSON), Jaeger's
/api/traces/{id}, and `polytrace traces get`, after a restart too."""
import json
import subprocess
import urllib.request
import uuid

import pytest

from canonical import diff, spans_from_otlp_request
from conftest import Collector, free_port, polytrace_bin, wait_until
from jaeger_model import actual_jaeger_span, expected_jaeger_span
from test_sdk_roundtrip import PROGRAMS, SDK, endpoint_for, normalize_times

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{timeout: 50ms}}
exporters:
  polytrace_store:
    directory: "{data}"
    segment: {{max_duration: 1s}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""


class Store:
    def __init__(self, workdir):
        self.workdir = workdir
        self.ports = {"grpc": free_port(), "http": free_port(), "query": free_port(), "metrics": free_port()}
        self.data = workdir / "data"
        self.collector = None
        self.sent = {}  # (language, protocol) -> expected canonical spans

    def start(self):
        text = CONFIG.format(data=self.data, **self.ports)
        self.collector = Collector(polytrace_bin(), text, self.workdir,
                                   [self.ports["grpc"], self.ports["http"], self.ports["query"]])
        self.grpc, self.http = self.ports["grpc"], self.ports["http"]

    def get(self, path, accept="application/json"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.ports['query']}{path}", headers={"Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("store-roundtrip"))
    s.start()
    yield s
    assert s.collector.stop() == 0, s.collector.logs()


def tempo_spans(store, trace_ids, run_id):
    """The run's spans (SDK programs may reuse trace IDs across runs)."""
    spans = []
    for trace_id in trace_ids:
        status, body = store.get(f"/api/v2/traces/{trace_id}")
        if status != 200:
            return None
        spans += spans_from_otlp_request(json.loads(body)["trace"], run_id)
    return sorted(spans, key=lambda s: s["span_id"])


def send(store, language, protocol):
    program = PROGRAMS[(language, protocol)]
    run_id = str(uuid.uuid4())
    oracle = store.workdir / f"sent-{language}-{protocol.replace('/', '-')}.json"
    cmd = program + ["--endpoint", endpoint_for(store, protocol), "--run-id", run_id, "--out", str(oracle)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(SDK / language))
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    expected = [normalize_times(s) for s in json.loads(oracle.read_text(encoding="utf-8"))["spans"]]
    assert len(expected) >= 8, "the SDK program recorded too few spans"
    return sorted(expected, key=lambda s: s["span_id"]), run_id


@pytest.mark.parametrize("language,protocol", sorted(PROGRAMS))
def test_sdk_spans_come_back_field_exact(store, language, protocol):
    expected, run_id = send(store, language, protocol)
    store.sent[(language, protocol)] = expected, run_id
    trace_ids = sorted({s["trace_id"] for s in expected})

    def complete():
        got = tempo_spans(store, trace_ids, run_id)
        return got if got is not None and len(got) >= len(expected) else None

    actual = wait_until(complete, 30, f"{len(expected)} spans in the store")
    problems = diff(expected, actual, "spans")
    assert not problems, f"{language} {protocol} (Tempo form):\n" + "\n".join(problems[:40])

    by_id = {}
    for trace_id in trace_ids:
        status, body = store.get(f"/api/traces/{trace_id}")
        assert status == 200, body
        trace = json.loads(body)["data"][0]
        assert trace["warnings"] is None
        for span in trace["spans"]:
            process_tags = trace["processes"][span["processID"]]["tags"]
            if {"key": "run.id", "type": "string", "value": run_id} in process_tags:
                by_id[span["spanID"]] = actual_jaeger_span(trace, span)
    for span in expected:
        problems += diff(expected_jaeger_span(span), by_id.get(span["span_id"]), f"span {span['span_id']}")
    assert not problems, f"{language} {protocol} (Jaeger form):\n" + "\n".join(problems[:40])


def canonical_order(trace):
    """The same OTLP trace with its resources, scopes and spans in one order.
    Two reads may list them differently when the head sealed in between (and
    the SDK programs' trace IDs can coincide, so one trace may hold several
    runs' resources): what must agree is the content."""
    def key(item):
        return json.dumps(item, sort_keys=True)
    resources = []
    for rs in trace.get("resourceSpans", []):
        scopes = []
        for ss in rs.get("scopeSpans", []):
            scopes.append({**ss, "spans": sorted(ss.get("spans", []), key=key)})
        resources.append({**rs, "scopeSpans": sorted(scopes, key=key)})
    return {**trace, "resourceSpans": sorted(resources, key=key)}


def test_cli_prints_what_the_api_serves(store):
    assert store.sent, "no SDK run stored anything"
    expected, _ = next(iter(store.sent.values()))
    trace_id = expected[0]["trace_id"]
    port = store.ports["query"]
    out = subprocess.run([polytrace_bin(), "traces", "get", trace_id, "--format", "otlp-json",
                          "--endpoint", f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    _, body = store.get(f"/api/v2/traces/{trace_id}")
    assert canonical_order(json.loads(out.stdout)) == canonical_order(json.loads(body)["trace"])
    table = subprocess.run([polytrace_bin(), "traces", "get", trace_id, "--endpoint", f"http://127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=30)
    assert table.returncode == 0, table.stderr
    names = {s["name"] for s in expected if s["trace_id"] == trace_id}
    for name in names:
        assert name in table.stdout, f"{name!r} missing from:\n{table.stdout}"


def test_everything_survives_a_restart(store):
    assert store.sent, "no SDK run stored anything"
    assert store.collector.stop() == 0, store.collector.logs()
    check = subprocess.run([polytrace_bin(), "store", "check", str(store.data)], capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    store.start()
    for (language, protocol), (expected, run_id) in store.sent.items():
        actual = tempo_spans(store, sorted({s["trace_id"] for s in expected}), run_id)
        problems = diff(expected, actual, "spans")
        assert not problems, f"{language} {protocol} after restart:\n" + "\n".join(problems[:40])

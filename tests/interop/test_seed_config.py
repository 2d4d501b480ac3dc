"""The seed article's collector config runs unchanged: SDK spans are
accepted while its unreachable exporter is retried and counted; with the
exporter swapped for `file`, `environment=production` is upserted on every
resource and batches respect send_batch_size."""
import json
import pathlib
import re
import subprocess
import urllib.request
import uuid

import pytest

from conftest import ROOT, free_port, port_open, wait_until
from canonical import spans_from_otlp_json_lines

SEED = ROOT.parent / "shared" / "seed" / "otel-collector-config.yaml"
SDK = ROOT / "tests" / "interop" / "sdk"
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def metric(port, line_prefix):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.split()[-1])
    return 0.0


def post_json_spans(port, n, run_id, trace_seed=1):
    """n spans in one OTLP/JSON request; returns the HTTP status."""
    spans = [{"traceId": f"{trace_seed:08x}" + "5b8efff798038103d269b633",
              "spanId": f"{i + 1:016x}", "name": f"op-{i}", "kind": 2,
              "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000000001000"}
             for i in range(n)]
    body = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "seed-test"}},
        {"key": "run.id", "value": {"stringValue": run_id}},
        {"key": "environment", "value": {"stringValue": "staging"}}]},
        "scopeSpans": [{"spans": spans}]}]}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=10).status


@pytest.fixture
def seed_text():
    if not SEED.exists():
        pytest.skip(f"{SEED} not present")
    return SEED.read_text()


def test_seed_config_runs_unchanged_and_retries_the_unreachable_exporter(start_collector, seed_text, tmp_path):
    if port_open(4317) or port_open(4318) or port_open(8888):
        pytest.skip("ports 4317/4318/8888 are in use on this machine")
    c = start_collector(seed_text, [4317, 4318])
    run_id = str(uuid.uuid4())
    # Spans from the real Python SDK over both protocols.
    for protocol, port in (("http/protobuf", 4318), ("grpc", 4317)):
        subprocess.run([PYTHON, str(SDK / "python" / "send_spans.py"), "--protocol", protocol,
                        "--endpoint", f"http://127.0.0.1:{port}", "--run-id", run_id,
                        "--out", str(tmp_path / "sent.json")], check=True, timeout=60)
    wait_until(lambda: metric(8888, 'otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"}') >= 8,
               15, "the gRPC spans to be accepted")
    # The batch (timeout 5s) reaches the exporter, whose host cannot be reached: retried, counted.
    wait_until(lambda: metric(8888, 'polytrace_exporter_send_retries{exporter="otlphttp"}') >= 1, 30,
               "a retry of the unreachable otlphttp exporter")
    # Intake keeps answering 200 while the queue has room.
    for i in range(20):
        assert post_json_spans(4318, 5, run_id, trace_seed=i + 2) == 200
    assert metric(8888, 'otelcol_exporter_enqueue_failed_spans{exporter="otlphttp"}') == 0
    assert c.proc.poll() is None, "polytrace must stay up"
    assert "resolve oneuptime.com" in c.logs() or "connect" in c.logs()
    assert c.stop() == 0


def test_seed_processors_upsert_environment_and_batch_by_512(start_collector, seed_text, tmp_path):
    grpc, http, metrics = free_port(), free_port(), free_port()
    out = tmp_path / "out.jsonl"
    text = seed_text.replace("0.0.0.0:4318", f"127.0.0.1:{http}").replace("0.0.0.0:4317", f"127.0.0.1:{grpc}")
    text = re.sub(r"exporters:\n  otlphttp:\n    endpoint: \S+\n",
                  f"exporters:\n  file:\n    path: {out}\n", text)
    text = text.replace("exporters: [otlphttp]", "exporters: [file]")
    text += f"  telemetry:\n    metrics:\n      address: 127.0.0.1:{metrics}\n"
    c = start_collector(text, [grpc, http])
    run_id = str(uuid.uuid4())
    for i in range(3):  # 3 x 500 spans: 1500 pending, so full batches of 512 must leave
        assert post_json_spans(http, 500, run_id, trace_seed=i + 1) == 200
    spans = wait_until(lambda: out.exists() and len(spans_from_otlp_json_lines(out, run_id)) >= 1000
                       and spans_from_otlp_json_lines(out, run_id), 30, "a size-triggered batch")
    for s in spans:
        assert s["resource"]["environment"] == ["string", "production"]
    sizes = [sum(len(ss.get("spans", [])) for rs in json.loads(line)["resourceSpans"]
                 for ss in rs.get("scopeSpans", []))
             for line in out.read_text().splitlines() if line.strip()]
    # The size trigger fires at 512 (500 pending waits); without
    # send_batch_max_size the batch carries all that was pending, as in the Collector.
    assert sizes[0] >= 512, sizes
    assert c.stop() == 0
    # The remaining 500 leave on the 5s timeout or at shutdown: nothing accepted is lost.
    assert len(spans_from_otlp_json_lines(out, run_id)) == 1500

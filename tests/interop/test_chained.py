"""Chained collectors: SDK -> polytrace -> (otlphttp | otlp gRPC) -> a second
polytrace -> file. What arrives after the hop is what the SDK sent."""
import json
import subprocess
import uuid

import pytest

from conftest import ROOT, free_port, wait_until
from canonical import diff, spans_from_otlp_json_lines

SDK = ROOT / "tests" / "interop" / "sdk"
PYTHON = str(ROOT / ".venv" / "bin" / "python")

SINK = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  file: {{path: "{out}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [file]}}
  telemetry: {{metrics: {{level: none}}}}
"""

FRONT = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{timeout: 100ms}}
exporters:
  otlphttp: {{endpoint: "http://127.0.0.1:{sink_http}"}}
  otlp: {{endpoint: "127.0.0.1:{sink_grpc}", tls: {{insecure: true}}}}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [{exporter}]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def send_and_compare(front_http, out, tmp_path, timeout):
    """The Python SDK sends to the front collector; the sink must hold exactly what it sent."""
    run_id = str(uuid.uuid4())
    oracle = tmp_path / "sent.json"
    subprocess.run([PYTHON, str(SDK / "python" / "send_spans.py"), "--protocol", "http/protobuf",
                    "--endpoint", f"http://127.0.0.1:{front_http}", "--run-id", run_id,
                    "--out", str(oracle)], check=True, timeout=60)
    expected = json.loads(oracle.read_text(encoding="utf-8"))["spans"]
    actual = wait_until(lambda: out.exists() and len(spans_from_otlp_json_lines(out, run_id)) >= len(expected)
                        and spans_from_otlp_json_lines(out, run_id), timeout, "spans to cross the hops")
    problems = diff(expected, actual, "spans")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("exporter", ["otlphttp", "otlp"])
def test_data_is_identical_after_a_hop(start_collector, tmp_path, exporter):
    sink_grpc, sink_http, front_http = free_port(), free_port(), free_port()
    out = tmp_path / "sink.jsonl"
    start_collector(SINK.format(grpc=sink_grpc, http=sink_http, out=out), [sink_grpc, sink_http])
    front = start_collector(FRONT.format(http=front_http, sink_http=sink_http, sink_grpc=sink_grpc,
                                         exporter=exporter), [front_http])
    send_and_compare(front_http, out, tmp_path, 30)
    assert front.stop() == 0


OTELCOL_MIDDLE = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
exporters:
  otlphttp: {{endpoint: "http://127.0.0.1:{sink_http}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [otlphttp]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def test_data_is_identical_through_otelcol(start_collector, tmp_path):
    """SDK -> polytrace -> otlp gRPC -> otelcol -> otlphttp -> polytrace -> file."""
    otelcol = subprocess.run([str(ROOT / "scripts" / "build-otelcol.sh")], capture_output=True,
                             text=True, timeout=1200)
    assert otelcol.returncode == 0, otelcol.stderr
    otelcol_bin = otelcol.stdout.strip().splitlines()[-1]
    sink_grpc, sink_http, middle_grpc, front_http = free_port(), free_port(), free_port(), free_port()
    out = tmp_path / "sink.jsonl"
    start_collector(SINK.format(grpc=sink_grpc, http=sink_http, out=out), [sink_grpc, sink_http])
    start_collector(OTELCOL_MIDDLE.format(grpc=middle_grpc, sink_http=sink_http), [middle_grpc],
                    binary=otelcol_bin)
    front = start_collector(FRONT.format(http=front_http, sink_http=0, sink_grpc=middle_grpc,
                                         exporter="otlp"), [front_http])
    send_and_compare(front_http, out, tmp_path, 60)
    assert front.stop() == 0

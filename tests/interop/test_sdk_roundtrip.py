"""Spans sent by the official OpenTelemetry SDKs come out of polytrace's file
exporter field-exact, compared with what each SDK itself recorded."""
import json
import os
import pathlib
import subprocess
import uuid

import pytest

from conftest import ROOT, free_port, wait_until
from canonical import diff, spans_from_otlp_json_lines

SDK = ROOT / "tests" / "interop" / "sdk"
PYTHON = str(ROOT / ".venv" / "bin" / "python")

# language, protocol -> command line (endpoint, run id and output appended by run_sdk)
PROGRAMS = {
    ("python", "http/protobuf"): [PYTHON, str(SDK / "python" / "send_spans.py"), "--protocol", "http/protobuf"],
    ("python", "grpc"): [PYTHON, str(SDK / "python" / "send_spans.py"), "--protocol", "grpc"],
    ("node", "http/json"): ["node", str(SDK / "node" / "send_spans.js"), "--protocol", "http/json"],
    ("node", "http/protobuf"): ["node", str(SDK / "node" / "send_spans.js"), "--protocol", "http/protobuf"],
    ("go", "http/protobuf"): [str(SDK / "go" / "send-spans"), "--protocol", "http/protobuf"],
    ("go", "grpc"): [str(SDK / "go" / "send-spans"), "--protocol", "grpc"],
    ("java", "http/protobuf"): ["java", "-cp", str(SDK / "java" / "target" / "classpath") + "/*:" + str(SDK / "java" / "target" / "classes"), "SendSpans", "--protocol", "http/protobuf"],
    ("java", "grpc"): ["java", "-cp", str(SDK / "java" / "target" / "classpath") + "/*:" + str(SDK / "java" / "target" / "classes"), "SendSpans", "--protocol", "grpc"],
    ("rust", "http/protobuf"): [str(SDK / "rust" / "send-spans"), "--protocol", "http/protobuf"],
    ("rust", "grpc"): [str(SDK / "rust" / "send-spans"), "--protocol", "grpc"],
}

CONFIG = """
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
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    from conftest import Collector, polytrace_bin
    workdir = tmp_path_factory.mktemp("roundtrip")
    ports = {"grpc": free_port(), "http": free_port(), "metrics": free_port()}
    out = workdir / "spans.jsonl"
    c = Collector(polytrace_bin(), CONFIG.format(out=out, **ports), workdir,
                  [ports["grpc"], ports["http"]])
    c.out, c.grpc, c.http = out, ports["grpc"], ports["http"]
    yield c
    assert c.stop() == 0, c.logs()


def normalize_times(span):
    """Some SDK programs write nanosecond times as strings (JS numbers lose them)."""
    span["start"], span["end"] = int(span["start"]), int(span["end"])
    for e in span["events"]:
        e["time"] = int(e["time"])
    return span


def endpoint_for(collector, protocol):
    if protocol == "grpc":
        return f"http://127.0.0.1:{collector.grpc}"
    return f"http://127.0.0.1:{collector.http}"


@pytest.mark.parametrize("language,protocol", sorted(PROGRAMS))
def test_every_field_survives(collector, tmp_path, language, protocol):
    program = PROGRAMS[(language, protocol)]
    if not pathlib.Path(program[0]).exists() and program[0] not in ("node", "java"):
        pytest.fail(f"{program[0]} is not built: run scripts/install-test-deps.sh")
    run_id = str(uuid.uuid4())
    oracle = tmp_path / "sent.json"
    cmd = program + ["--endpoint", endpoint_for(collector, protocol), "--run-id", run_id,
                     "--out", str(oracle)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                            cwd=str(SDK / language))
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    expected = [normalize_times(s) for s in json.loads(oracle.read_text(encoding="utf-8"))["spans"]]
    assert len(expected) >= 8, "the SDK program recorded too few spans"

    def arrived():
        if not collector.out.exists():
            return None
        got = spans_from_otlp_json_lines(collector.out, run_id)
        return got if len(got) >= len(expected) else None

    actual = wait_until(arrived, 30, f"{len(expected)} spans of run {run_id}")
    problems = diff(expected, actual, "spans")
    assert not problems, f"{language} {protocol}: fields differ:\n" + "\n".join(problems[:40])

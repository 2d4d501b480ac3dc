"""The CLI validates configs with precise errors, and a persistent sending
queue keeps every acknowledged span across kill -9."""
import json
import os
import signal
import subprocess
import urllib.request
import uuid

from conftest import free_port, polytrace_bin, wait_until
from canonical import spans_from_otlp_json_lines


def test_validate_accepts_a_good_config_and_names_line_and_path_of_a_bad_one(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("receivers:\n  otlp:\n    protocols:\n      http:\nexporters:\n  debug:\n"
                    "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n")
    r = subprocess.run([polytrace_bin(), "validate", "--config", str(good)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("  debug:\n", "  debug:\n    verbosty: detailed\n"))
    r = subprocess.run([polytrace_bin(), "validate", "--config", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{bad}:7:5: exporters.debug.verbosty: unknown key \"verbosty\"" in r.stderr, r.stderr
    env_cfg = tmp_path / "env.yaml"
    env_cfg.write_text(good.read_text().replace("      http:\n", "      http:\n        endpoint: ${env:OTLP_HTTP:-127.0.0.1:4318}\n"))
    r = subprocess.run([polytrace_bin(), "validate", "--config", str(env_cfg)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_version_and_help():
    r = subprocess.run([polytrace_bin(), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "polytrace version" in r.stdout
    r = subprocess.run([polytrace_bin(), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "validate" in r.stdout


FRONT = """
extensions:
  file_storage: {{directory: "{queue_dir}", create_directory: true}}
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  otlphttp:
    endpoint: "http://127.0.0.1:{sink_http}"
    compression: none
    retry_on_failure: {{initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0s}}
    sending_queue: {{storage: file_storage, num_consumers: 2}}
service:
  extensions: [file_storage]
  pipelines:
    traces: {{receivers: [otlp], exporters: [otlphttp]}}
  telemetry: {{metrics: {{level: none}}}}
"""

SINK = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  file: {{path: "{out}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [file]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def post(port, run_id, batch):
    spans = [{"traceId": f"{batch + 1:032x}", "spanId": f"{batch * 100 + i + 1:016x}", "name": f"b{batch}-{i}",
              "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000000001000"}
             for i in range(10)]
    body = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "run.id", "value": {"stringValue": run_id}}]}, "scopeSpans": [{"spans": spans}]}]}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=10).status


def test_persistent_queue_loses_nothing_acknowledged_across_kill_9(start_collector, tmp_path):
    http, sink_http = free_port(), free_port()
    out = tmp_path / "sink.jsonl"
    cfg = FRONT.format(queue_dir=tmp_path / "queue", http=http, sink_http=sink_http)
    front = start_collector(cfg, [http])
    run_id = str(uuid.uuid4())
    # The sink is down: every acknowledged request must wait on disk.
    for batch in range(20):
        assert post(http, run_id, batch) == 200
    front.proc.send_signal(signal.SIGKILL)
    front.proc.wait()
    # Restart with the sink up: everything acknowledged arrives, exactly once.
    start_collector(SINK.format(http=sink_http, out=out), [sink_http])
    start_collector(cfg, [http])
    spans = wait_until(lambda: out.exists() and len(spans_from_otlp_json_lines(out, run_id)) >= 200
                       and spans_from_otlp_json_lines(out, run_id), 30, "the queued spans to be resent")
    names = sorted(s["name"] for s in spans)
    assert len(names) == 200 and len(set(names)) == 200, f"{len(names)} spans, {len(set(names))} distinct"
    wait_until(lambda: not os.listdir(tmp_path / "queue" / "exporter_otlphttp"), 10,
               "the delivered requests to leave the disk queue")

"""An SDK that speaks OTLP before 0.19 (issue #13): the OpenTelemetry JS SDK
of October 2021 sends OTLP/JSON with instrumentationLibrarySpans. Its spans
must arrive (as scopeSpans, with their instrumentation scope), and the log
must name the service and its SDK. Before, they were answered 200 and lost."""
import json
import subprocess
import urllib.request

from conftest import ROOT, free_port, wait_until

SDK = ROOT / "tests" / "interop" / "sdk" / "node-pre019"

CONFIG = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  file: {{path: "{out}"}}
  polytrace_store: {{directory: "{data}"}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], exporters: [file, polytrace_store]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def trace_id_of(out):
    for line in out.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for s in ss["spans"]:
                    return s["traceId"]
    return None


def findings(query, trace_id):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{query}/api/analysis/traces/{trace_id}",
                                    timeout=5) as r:
            return json.load(r)
    except OSError:
        return None


def scopes_of(out, service):
    if not out.exists():
        return []
    found = []
    for line in out.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            names = [a["value"].get("stringValue") for a in rs["resource"]["attributes"]
                     if a["key"] == "service.name"]
            if names == [service]:
                found += [(ss["scope"], [s["name"] for s in ss["spans"]]) for ss in rs["scopeSpans"]]
    return found


def test_the_2021_js_sdk_sends_instrumentation_library_spans_and_they_arrive(start_collector, tmp_path):
    http, query = free_port(), free_port()
    out = tmp_path / "spans.jsonl"
    c = start_collector(CONFIG.format(http=http, out=out, data=tmp_path / "data", query=query),
                        [http, query])
    result = subprocess.run(["node", str(SDK / "send_span.js"), f"http://127.0.0.1:{http}/v1/traces",
                             "legacy-node"], capture_output=True, text=True, timeout=60, cwd=str(SDK))
    assert result.returncode == 0, result.stdout + result.stderr
    scopes = wait_until(lambda: scopes_of(out, "legacy-node"), 20, "the old SDK's span")
    # The receiver marks the translated scope, so the trace analysis can name the service.
    marker = {"key": "polytrace.otlp.instrumentation_library", "value": {"boolValue": True}}
    assert scopes == [({"name": "legacy.instrumentation", "version": "0.1.0", "attributes": [marker]},
                       ["old-sdk span"])]
    wait_until(lambda: 'service "legacy-node" (nodejs SDK 1.0.1) sends OTLP older than 0.19'
               in c.logs(), 10, "the log to name the old SDK")
    # The trace analysis (verify, the UI's health panel) names the service and its SDK.
    trace_id = trace_id_of(out)
    analysis = wait_until(lambda: findings(query, trace_id), 20, "the trace's analysis")
    old = [f for f in analysis["findings"] if f["kind"] == "old_otlp"]
    assert len(old) == 1, analysis
    assert old[0]["service"] == "legacy-node"
    assert "legacy-node (nodejs, SDK opentelemetry 1.0.1) sends OTLP older than 0.19" in old[0]["message"]
    assert [s["oldOtlp"] for s in analysis["services"]] == [True]

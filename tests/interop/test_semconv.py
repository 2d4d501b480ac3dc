"""Issue #13's repair: spans that the official Python SDK sends with the old
HTTP and database keys (http.method, http.status_code, http.target,
net.peer.name, db.statement) come out of the `semconv` processor with the
stable ones, while a second pipeline fed by the same receiver still sees the
originals; `dup` keeps both; a wrong mode stops startup naming the key."""
import json
import subprocess
import sys

from conftest import ROOT, free_port, polytrace_bin, wait_until

PYTHON = str(ROOT / ".venv" / "bin" / "python")

SEND = r'''
import sys
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

provider = TracerProvider(resource=Resource.create({"service.name": "legacy-python"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1])))
tracer = provider.get_tracer("old.instrumentation", "0.30b0")
with tracer.start_as_current_span("GET /items", kind=SpanKind.SERVER, attributes={
        "http.method": "GET", "http.status_code": 404, "http.target": "/items?page=2",
        "http.scheme": "http", "net.host.name": "shop", "net.host.port": 8080,
        "http.route": "/items"}):
    with tracer.start_as_current_span("SELECT items", kind=SpanKind.CLIENT, attributes={
            "db.system": "postgresql", "db.statement": "SELECT * FROM items",
            "db.name": "shop", "db.user": "app", "net.peer.name": "db", "net.peer.port": 5432}):
        pass
provider.shutdown()
'''

CONFIG = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  semconv: {{}}
  semconv/dup: {{http: dup, db: none}}
exporters:
  file/raw: {{path: "{out}/raw.jsonl"}}
  file/stable: {{path: "{out}/stable.jsonl"}}
  file/dup: {{path: "{out}/dup.jsonl"}}
service:
  pipelines:
    traces/raw: {{receivers: [otlp], exporters: [file/raw]}}
    traces/stable: {{receivers: [otlp], processors: [semconv], exporters: [file/stable]}}
    traces/dup: {{receivers: [otlp], processors: [semconv/dup], exporters: [file/dup]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def spans(path):
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for s in ss["spans"]:
                    out[s["name"]] = {a["key"]: next(iter(a["value"].values()))
                                      for a in s.get("attributes", [])}
    return out


def test_semconv_processor_rewrites_what_the_sdk_sent(start_collector, tmp_path):
    http = free_port()
    start_collector(CONFIG.format(http=http, out=tmp_path), [http])
    sent = subprocess.run([PYTHON, "-c", SEND, f"http://127.0.0.1:{http}/v1/traces"],
                          capture_output=True, text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr
    got = {}
    for name in ("raw", "stable", "dup"):
        got[name] = wait_until(lambda: (lambda s: s if len(s) == 2 else None)(
            spans(tmp_path / f"{name}.jsonl")), 20, f"the {name} pipeline's spans")

    # The other pipeline's copy is untouched.
    assert got["raw"]["GET /items"]["http.method"] == "GET"
    assert "http.request.method" not in got["raw"]["GET /items"]

    server, db = got["stable"]["GET /items"], got["stable"]["SELECT items"]
    assert server == {"http.route": "/items", "http.request.method": "GET",
                      "http.response.status_code": "404", "url.path": "/items",
                      "url.query": "page=2", "url.scheme": "http", "server.address": "shop",
                      "server.port": "8080"}, server
    # db.user has no stable successor: kept, never dropped.
    assert db == {"db.user": "app", "db.system.name": "postgresql",
                  "db.query.text": "SELECT * FROM items", "db.namespace": "shop",
                  "server.address": "db", "server.port": "5432"}, db

    dup = got["dup"]["GET /items"]
    assert dup["http.method"] == "GET" and dup["http.request.method"] == "GET"
    assert dup["http.status_code"] == "404" and dup["http.response.status_code"] == "404"
    assert got["dup"]["SELECT items"]["db.statement"] == "SELECT * FROM items"  # db: none
    assert "db.query.text" not in got["dup"]["SELECT items"]


def test_a_wrong_mode_names_the_key(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("""
receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:0"}}}}
processors: {semconv: {http: stabel}}
exporters: {nop: {}}
service: {pipelines: {traces: {receivers: [otlp], processors: [semconv], exporters: [nop]}}}
""")
    r = subprocess.run([polytrace_bin(), "validate", "--config", str(config)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert 'processors.semconv.http: unknown mode "stabel" (stable, dup, none)' in r.stderr + r.stdout

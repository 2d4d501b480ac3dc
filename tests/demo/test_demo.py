"""The seed's polyglot system end to end: polytrace with its embedded store,
PostgreSQL, Kafka and the five services of demo/ (Go, Node.js, Python, Java,
Node.js) with their official OpenTelemetry SDKs. Drives real checkouts and
checks each trace through the query API and through `polytrace verify`; then
breaks the system on purpose (the seed's pitfalls) and checks that verify
names each fault. Every wait is a condition with a deadline.

Needs demo/scripts/install.sh to have run (scripts/test.sh does it)."""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import ROOT, Collector, free_port, polytrace_bin, port_open, wait_until

DEMO = ROOT / "demo"
EXPECT = DEMO / "verify" / "checkout.yaml"
CHECKOUTS = int(os.environ.get("POLYTRACE_DEMO_CHECKOUTS", "20"))
DEMO_PORTS = [8080, 8081, 8082, 8083, 8084, 8085, 9092, 55432]
SERVICES = {"api-gateway": "go", "auth-service": "nodejs", "recommendation-service": "python",
            "payment-service": "java", "notification-service": "nodejs"}

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  memory_limiter: {{limit_mib: 512, check_interval: 1s}}
  batch: {{}}
exporters:
  polytrace_store: {{directory: "{data}"}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [memory_limiter, batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""


class Polytrace:
    def __init__(self, workdir):
        self.ports = {"grpc": free_port(), "http": free_port(), "query": free_port(),
                      "metrics": free_port()}
        text = CONFIG.format(data=workdir / "data", **self.ports)
        self.collector = Collector(polytrace_bin(), text, workdir,
                                   [self.ports["http"], self.ports["query"]])
        self.endpoint = f"http://127.0.0.1:{self.ports['query']}"

    def get_json(self, path):
        try:
            with urllib.request.urlopen(self.endpoint + path, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def verify(self, *args):
        """`polytrace verify --json ...` -> (exit code, parsed output)."""
        p = subprocess.run([polytrace_bin(), "verify", "--endpoint", self.endpoint, "--json",
                            *args], capture_output=True, text=True, timeout=180)
        assert p.returncode in (0, 1), f"verify failed to run ({p.returncode}): {p.stderr}"
        return p.returncode, json.loads(p.stdout)


class Demo:
    """demo/scripts/start.sh .. stop.sh around one test, in its own run dir."""

    def __init__(self, otlp_http_port, fault=None):
        # PostgreSQL runs as the `postgres` user: the run dir must be reachable
        # by it (pytest's own tmp dirs are private to root).
        self.run_dir = pathlib.Path(tempfile.mkdtemp(prefix=f"polytrace-demo-{fault or 'ok'}-"))
        self.run_dir.chmod(0o755)
        self.env = dict(os.environ, DEMO_RUN_DIR=str(self.run_dir),
                        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp_http_port}")
        self.env.pop("DEMO_FAULT", None)
        if fault:
            self.env["DEMO_FAULT"] = fault
        for p in DEMO_PORTS:
            assert not port_open(p), f"port {p} is taken before the demo starts"
        started = subprocess.run([str(DEMO / "scripts" / "start.sh")], env=self.env,
                                 capture_output=True, text=True, timeout=300)
        if started.returncode != 0:
            self.stop()
            raise AssertionError(f"start.sh failed:\n{started.stdout}\n{started.stderr}")

    def pids(self):
        return [int(p.read_text().strip()) for p in (self.run_dir / "pids").glob("*.pid")
                if p.read_text().strip()]

    def stop(self):
        pids = self.pids() if (self.run_dir / "pids").exists() else []
        stopped = subprocess.run([str(DEMO / "scripts" / "stop.sh")], env=self.env,
                                 capture_output=True, text=True, timeout=120)
        assert stopped.returncode == 0, f"stop.sh failed:\n{stopped.stdout}\n{stopped.stderr}"
        return pids

    def checkout(self, user, amount):
        url = f"http://127.0.0.1:8080/checkout?user={user}&amount={amount}"
        start = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                body, status = json.load(r), r.status
        except urllib.error.HTTPError as e:
            body, status = json.load(e), e.code
        assert "trace_id" in body, body
        return status, body, time.monotonic() - start


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie left for its parent to reap is gone for our purposes.
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.fixture(scope="module")
def polytrace(tmp_path_factory):
    p = Polytrace(tmp_path_factory.mktemp("polytrace"))
    yield p
    assert p.collector.stop() == 0


@pytest.fixture
def demo(polytrace):
    started = []

    def start(fault=None):
        d = Demo(polytrace.ports["http"], fault)
        started.append(d)
        return d

    yield start
    for d in started:
        pids = d.stop()
        # Startup and shutdown leave no process behind.
        assert pids, "start.sh recorded no pids"
        wait_until(lambda: not any(alive(p) for p in pids), 30, "every demo process to exit")
        wait_until(lambda: not any(port_open(p) for p in DEMO_PORTS), 30, "demo ports to close")
        shutil.rmtree(d.run_dir, ignore_errors=True)


def otlp_spans(polytrace, trace_id):
    """[(service, language, span)] of a stored trace, from the Tempo API's OTLP JSON."""
    doc = polytrace.get_json(f"/api/v2/traces/{trace_id}")
    out = []
    for rs in (doc or {}).get("trace", {}).get("resourceSpans", []):
        attrs = {a["key"]: a["value"] for a in rs["resource"].get("attributes", [])}
        service = attrs.get("service.name", {}).get("stringValue", "")
        language = attrs.get("telemetry.sdk.language", {}).get("stringValue", "")
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                out.append((service, language, s))
    return out


def attr(span, key):
    for a in span.get("attributes", []):
        if a["key"] == key:
            v = a["value"]
            return next(iter(v.values())) if v else None
    return None


def complete(polytrace, trace_id):
    spans = otlp_spans(polytrace, trace_id)
    services = {svc for svc, _, _ in spans}
    names = {s["name"] for _, _, s in spans}
    return spans if set(SERVICES) <= services and "send-notification" in names else None


def test_checkouts_become_one_trace_across_five_services(polytrace, demo):
    d = demo()
    trace_ids = []
    latencies = []
    for i in range(CHECKOUTS):
        user = ["alice", "bob", "carol", "dave", "erin"][i % 5]
        status, body, seconds = d.checkout(user, 10 + i)
        assert status == 200, body
        trace_ids.append(body["trace_id"])
        latencies.append(seconds)
    assert len(set(trace_ids)) == CHECKOUTS

    for trace_id in trace_ids:
        # The SDKs export in batches, each on its own schedule: verify waits
        # until the trace is whole (every expectation met, no orphan left).
        code, out = polytrace.verify("--trace", trace_id, "--expect", str(EXPECT), "--wait", "60s")
        assert code == 0, json.dumps(out, indent=1)
        spans = complete(polytrace, trace_id)
        assert spans, f"trace {trace_id} lacks spans from some service"
        by_id = {s["spanId"]: (svc, s) for svc, _, s in spans}
        assert all(s["traceId"] == trace_id for _, _, s in spans)
        # Each service with its SDK's language.
        for svc, lang, _ in spans:
            assert SERVICES[svc] == lang, f"{svc} reports telemetry.sdk.language={lang}"
        # Every server span's parent is the caller's client span; the
        # consumer's parent is the producer.
        for svc, _, s in spans:
            parent = by_id.get(s.get("parentSpanId", ""))
            if s["kind"] == 2 and svc != "api-gateway":
                assert parent is not None and parent[1]["kind"] == 3 and parent[0] != svc, s
            if s["kind"] == 2 and svc == "api-gateway":
                assert s.get("parentSpanId", "") == "", "the gateway's server span is the root"
            if s["kind"] == 5:
                assert parent is not None and parent[1]["kind"] == 4, s
                assert parent[0] == "payment-service" and svc == "notification-service"
        # The seed's custom spans, with their attributes; the database spans.
        named = {s["name"]: (svc, s) for svc, _, s in spans}
        svc, pay = named["process-payment"]
        assert svc == "payment-service"
        assert attr(pay, "payment.currency") == "USD"
        assert attr(pay, "payment.status") == "approved"
        assert float(attr(pay, "payment.amount")) == float(10 + trace_ids.index(trace_id))
        assert named["charge-card"][0] == "payment-service"
        assert by_id[named["charge-card"][1]["parentSpanId"]][1]["name"] == "process-payment"
        assert named["load-model"][0] == "recommendation-service"
        assert any(svc == "auth-service" and attr(s, "db.system") == "postgresql"
                   for svc, _, s in spans), "no PostgreSQL span from auth-service"

    # No false positives over every recent trace rooted in the gateway.
    code, out = polytrace.verify("--since", "10m", "--root-service", "api-gateway",
                                 "--limit", "100", "--wait", "30s")
    assert code == 0, json.dumps(out, indent=1)
    assert len(out["traces"]) >= CHECKOUTS


def failing_problems(out):
    return [p for t in out["traces"] for c in t["checks"] if not c["ok"] for p in c["problems"]]


def verify_until(polytrace, trace_id, expected, deadline=60):
    """Runs verify until one problem contains every string of `expected`."""
    last = {}

    def diagnosed():
        code, out = polytrace.verify("--trace", trace_id, "--expect", str(EXPECT))
        last["out"] = out
        problems = failing_problems(out) if code == 1 else []
        return next((p for p in problems if all(e in p for e in expected)), None)

    try:
        return wait_until(diagnosed, deadline, f"verify to report {expected}")
    except AssertionError:
        raise AssertionError(f"verify never reported {expected}:\n"
                             f"{json.dumps(last.get('out'), indent=1)}")


@pytest.mark.parametrize("fault,expected", [
    ("propagation-off", ["propagation broke between api-gateway and recommendation-service",
                         "server span"]),
    ("no-injection", ["propagation broke between payment-service and notification-service",
                      "consumer span", "injected into the message"]),
    ("no-service-name", ["service with service.name \"unknown_service", "nodejs",
                         "called by api-gateway"]),
    ("clock-skew", ["recommendation-service's clock looks", "ahead of api-gateway's"]),
])
def test_each_fault_is_named_by_verify(polytrace, demo, fault, expected):
    d = demo(fault)
    status, body, _ = d.checkout("alice", 42)
    assert status == 200, body
    problem = verify_until(polytrace, body["trace_id"], expected)
    print(f"{fault}: {problem}")

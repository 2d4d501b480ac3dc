"""The polyglot demo as a test environment, shared by tests/demo and tests/ui:
a polytrace with its store and query server on free ports (`polytrace`
fixture, one per module), and demo/scripts/start.sh .. stop.sh around a test
(`demo` fixture), which then checks that no process is left behind.
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
DEMO_PORTS = [8080, 8081, 8082, 8083, 8084, 8085, 8086, 9092, 15432]
SERVICES = {"api-gateway": "go", "auth-service": "nodejs", "recommendation-service": "python",
            "payment-service": "java", "notification-service": "nodejs", "inventory-service": "rust"}

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
  polytrace_query: {{endpoint: "127.0.0.1:{query}"{ui}}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [memory_limiter, batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""


class Polytrace:
    def __init__(self, workdir, ui_directory=None):
        self.ports = {"grpc": free_port(), "http": free_port(), "query": free_port(),
                      "metrics": free_port()}
        ui = f', ui_directory: "{ui_directory}"' if ui_directory else ""
        text = CONFIG.format(data=workdir / "data", ui=ui, **self.ports)
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



#!/usr/bin/env python3
"""Overhead the collector adds to the demo: checkout latency (p50/p99) of the
seed's polyglot system with polytrace as its collector (and store) vs with
the reference otelcol in its place (forwarding to a polytrace on other
ports, as the seed's collector forwards to its backend). Same services, same
traffic, same run; rounds alternate to spread the machine's noise. Also
prints the collector process's CPU per checkout.

usage: bench/demo_overhead.py [--checkouts 300] [--rounds 2] [--concurrency 2]
Needs: scripts/build.sh release, demo/scripts/install.sh (scripts/build-otelcol.sh is run here).
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import Collector, free_port, polytrace_bin, port_open  # noqa: E402
from demo_env import CONFIG as STORE  # noqa: E402  (the e2e test's polytrace: store + query)

TICK = os.sysconf("SC_CLK_TCK")


OTELCOL = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  memory_limiter: {{limit_mib: 512, check_interval: 1s}}
  batch: {{}}
exporters:
  otlphttp: {{endpoint: "http://127.0.0.1:{backend}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [memory_limiter, batch], exporters: [otlphttp]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def checkout(i):
    user = ["alice", "bob", "carol", "dave", "erin"][i % 5]
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:8080/checkout?user={user}&amount={10 + i % 900}",
                                timeout=30) as r:
        r.read()
        assert r.status == 200
    return time.perf_counter() - start


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(kind, work, args, otelcol):
    """One round: collector + demo up, warm-up, timed checkouts, all down."""
    work.mkdir(parents=True)
    work.chmod(0o755)
    backend = None
    if kind == "polytrace":
        ports = {"grpc": 4317, "http": 4318, "query": free_port(), "metrics": free_port()}
        collector = Collector(polytrace_bin(), STORE.format(data=work / "data", ui="", **ports), work,
                              [4318])
    else:
        bports = {"grpc": free_port(), "http": free_port(), "query": free_port(),
                  "metrics": free_port()}
        backend = Collector(polytrace_bin(), STORE.format(data=work / "data", ui="", **bports), work,
                            [bports["http"]])
        collector = Collector(otelcol, OTELCOL.format(grpc=4317, http=4318, backend=bports["http"]),
                              work, [4318])
    env = dict(os.environ, DEMO_RUN_DIR=str(work / "demo"),
               OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318")
    env.pop("DEMO_FAULT", None)
    try:
        started = subprocess.run([str(ROOT / "demo/scripts/start.sh")], env=env,
                                 capture_output=True, text=True, timeout=300)
        if started.returncode != 0:
            sys.exit(f"start.sh failed:\n{started.stdout}\n{started.stderr}")
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(checkout, range(args.warmup)))
            cpu0 = cpu_seconds(collector.proc.pid)
            latencies = list(pool.map(checkout, range(args.checkouts)))
        cpu = cpu_seconds(collector.proc.pid) - cpu0
    finally:
        subprocess.run([str(ROOT / "demo/scripts/stop.sh")], env=env, capture_output=True,
                       timeout=120)
        collector.stop()
        if backend:
            backend.stop()
    return latencies, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkouts", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    for p in (4317, 4318, 8080):
        if port_open(p):
            sys.exit(f"port {p} is in use: stop the running demo or collector first")
    otelcol = subprocess.run([str(ROOT / "scripts/build-otelcol.sh")], check=True,
                             capture_output=True, text=True).stdout.strip()
    results = {"polytrace": ([], 0.0), "otelcol": ([], 0.0)}
    with tempfile.TemporaryDirectory() as tmp:
        pathlib.Path(tmp).chmod(0o755)  # PostgreSQL runs as `postgres` inside it
        for r in range(args.rounds):
            for kind in ("polytrace", "otelcol") if r % 2 == 0 else ("otelcol", "polytrace"):
                lat, cpu = run(kind, pathlib.Path(tmp) / f"{kind}-{r}", args, otelcol)
                results[kind] = (results[kind][0] + lat, results[kind][1] + cpu)
                print(f"round {r + 1} {kind:9}: p50 {percentile(lat, 0.5) * 1e3:6.1f} ms  "
                      f"p99 {percentile(lat, 0.99) * 1e3:6.1f} ms  collector CPU {cpu:.2f} s",
                      flush=True)
    n = args.checkouts * args.rounds
    row = {}
    for kind, (lat, cpu) in results.items():
        row[kind] = {"p50_ms": percentile(lat, 0.5) * 1e3, "p99_ms": percentile(lat, 0.99) * 1e3,
                     "cpu_ms_per_checkout": cpu / n * 1e3}
    p, o = row["polytrace"], row["otelcol"]
    print(f"\n{n} checkouts each, concurrency {args.concurrency}")
    print(f"{'':28} {'polytrace':>10} {'otelcol':>10} {'ratio':>7}")
    for key, label in (("p50_ms", "checkout p50 (ms)"), ("p99_ms", "checkout p99 (ms)"),
                       ("cpu_ms_per_checkout", "collector CPU ms/checkout")):
        print(f"{label:28} {p[key]:10.2f} {o[key]:10.2f} {p[key] / o[key]:7.2f}")
    print(json.dumps(row))


if __name__ == "__main__":
    main()

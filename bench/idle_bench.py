#!/usr/bin/env python3
"""Idle cost: CPU and wake-ups of a collector that receives nothing (issue #20).

A collector sits on every host; most of the day it waits. This starts, side
by side on free loopback ports, the reference otelcol (built by
scripts/build-otelcol.sh) and polytrace with the same Collector config (the
seed article's shape: otlp gRPC + HTTP -> memory_limiter -> batch ->
otlphttp, self-metrics on), plus polytrace with its default config (the
embedded store and the query API on top), lets them settle, and then counts
over --seconds of silence, per process:
  - CPU (utime + stime of every thread, /proc/PID/stat), as ms per minute
    and as a share of one core;
  - context switches of every thread (/proc/PID/task/*/status), per second:
    the wake-ups a timer or a poller costs even when there is nothing to do.
The three run at the same time (idle processes do not compete), so the
ratio polytrace / otelcol compares the same minute of the same machine.
Nothing is sent to any of them: a process that did work would show it.

usage: bench/idle_bench.py [--seconds 60]
"""
import argparse
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import POLYTRACE, ROOT, context_switches, free_port
TICK = os.sysconf("SC_CLK_TCK")

FORWARDING = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  memory_limiter: {{check_interval: 1s, limit_mib: 512}}
  batch: {{}}
exporters:
  otlphttp: {{endpoint: "http://127.0.0.1:{sink}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [memory_limiter, batch], exporters: [otlphttp]}}
  telemetry:
    metrics:
      readers: [{{pull: {{exporter: {{prometheus: {{host: "127.0.0.1", port: {metrics}}}}}}}}}]
"""

STORING = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{}}
exporters:
  polytrace_store: {{directory: "{data}"}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry:
    metrics:
      readers: [{{pull: {{exporter: {{prometheus: {{host: "127.0.0.1", port: {metrics}}}}}}}}}]
"""




def wait_ready(port, proc, deadline=60):
    """Until the process answers on its self-metrics port (both serve /metrics there)."""
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"not ready on :{port} within {deadline}s")


def cpu_ticks(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime




def threads(pid):
    return len(list(pathlib.Path(f"/proc/{pid}/task").iterdir()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--settle", type=float, default=10, help="seconds after startup before counting")
    args = p.parse_args()
    otelcol = subprocess.check_output([str(ROOT / "scripts" / "build-otelcol.sh")], text=True).strip()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="idle-bench-"))
    systems = [("otelcol, forwarding", otelcol, FORWARDING),
               ("polytrace, forwarding", POLYTRACE, FORWARDING),
               ("polytrace, default (store + query)", POLYTRACE, STORING)]
    procs = []
    try:
        for i, (name, binary, config) in enumerate(systems):
            ports = {k: free_port() for k in ("grpc", "http", "sink", "metrics", "query")}
            path = workdir / f"{i}.yaml"
            path.write_text(config.format(data=workdir / f"data{i}", **ports))
            log = open(workdir / f"{i}.log", "w")
            proc = subprocess.Popen([str(binary), "--config", str(path)], stdout=log,
                                    stderr=subprocess.STDOUT)
            procs.append((name, proc, ports))
        for name, proc, ports in procs:
            wait_ready(ports["metrics"], proc)
        time.sleep(args.settle)
        before = {name: (cpu_ticks(proc.pid), context_switches(proc.pid)) for name, proc, _ in procs}
        t0 = time.time()
        time.sleep(args.seconds)
        elapsed = time.time() - t0
        results = {}
        for name, proc, _ in procs:
            assert proc.poll() is None, f"{name} exited while idle"
            ticks = cpu_ticks(proc.pid) - before[name][0]
            switches = context_switches(proc.pid) - before[name][1]
            cpu_ms = ticks * 1000 / TICK
            results[name] = {"cpu_ms_per_min": cpu_ms * 60 / elapsed,
                             "core_pct": cpu_ms / elapsed / 10,
                             "switches_per_s": switches / elapsed,
                             "threads": threads(proc.pid)}
    finally:
        for _, proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        for _, proc, _ in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"idle for {elapsed:.0f} s, nothing sent (CPU resolution {1000 / TICK:.0f} ms)")
    print(f"{'':<38}{'CPU ms/min':>12}{'% of a core':>13}{'switches/s':>12}{'threads':>9}")
    for name, r in results.items():
        print(f"{name:<38}{r['cpu_ms_per_min']:>12.1f}{r['core_pct']:>13.3f}{r['switches_per_s']:>12.1f}"
              f"{r['threads']:>9}")
    ref = results["otelcol, forwarding"]
    for name, r in results.items():
        if name.startswith("polytrace"):
            cpu = r["cpu_ms_per_min"] / ref["cpu_ms_per_min"] if ref["cpu_ms_per_min"] else float("inf")
            sw = r["switches_per_s"] / ref["switches_per_s"] if ref["switches_per_s"] else float("inf")
            print(f"ratio {name} / otelcol: CPU {cpu:.3f}, context switches {sw:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""CPU per span, polytrace vs the reference otelcol, at the loads collectors
really run (issue #20, item 1): fixed rates from 5k spans/s up, and
saturation; over gRPC and HTTP; tiny spans and spans of 20 attributes;
forwarding (otlp -> batch -> otlphttp -> a sink), otlp -> batch -> nop, and
storing (otlp -> batch -> polytrace_store, against Jaeger v2, the Collector
with its Badger storage, taking the same load: otlp -> batch ->
jaeger_storage_exporter; its ratio to otelcol forwarding in the same run is
printed too when the forward pipeline ran).

The load comes from the Collector project's own `telemetrygen` (built from
the Go module proxy, 512-span batches as the SDKs send them, 10 workers) and
from polytrace's load generator. Each collector is pinned to one core
(taskset), its load generator and the sink to the other. polytrace and
otelcol alternate run by run (A B A B ...), so the machine's drift hits both;
each figure is the median of the repeats.

Per run it measures, over the same window after a warm-up second: the
collector's CPU (utime + stime), the spans its receiver accepted (its own
otelcol_receiver_accepted_spans), context switches of all its threads
(/proc/PID/task/*/status), and derives CPU per span, per request and
context switches per request. A run that accepted no spans fails the
benchmark.

usage: bench/load_ratio_bench.py [--loads 5000,10000,20000,50000,0] [--seconds 6]
         [--repeats 2] [--generators telemetrygen,loadgen] [--protocols grpc,http]
         [--shapes tiny,attrs20] [--pipelines forward,nop,store]
  load 0 = saturation (no rate limit)
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (JAEGER_BADGER, LOADGEN, POLYTRACE, ROOT, STORE_INTAKE, accepted_spans,
                      context_switches, cpu_by_thread_name, free_port, start, stop,
                      thread_cpu_seconds, wait_port)

CACHE = pathlib.Path(os.environ.get("POLYTRACE_CACHE", pathlib.Path.home() / ".cache" / "polytrace"))
TELEMETRYGEN_VERSION = "v0.161.0"
BATCH = 512  # spans per request from either generator
COLLECTOR_CORE, LOAD_CORES = "1", "0"

SINK = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  nop: {{}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [nop]}}
  telemetry: {{metrics: {{address: "127.0.0.1:{metrics}"}}}}
"""

UNDER_TEST = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{}}
exporters:
{exporter}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [{exporter_name}]}}
  telemetry:
    metrics:
      level: basic
      readers:
        - pull: {{exporter: {{prometheus: {{host: "127.0.0.1", port: {metrics}}}}}}}
"""

# The storing peer (format with grpc, http, metrics, data): Jaeger v2 with Badger on disk.
JAEGER_STORE = STORE_INTAKE + """
service:
  extensions: [jaeger_storage]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [jaeger_storage_exporter]}}
  telemetry:
    metrics:
      level: basic
      readers:
        - pull: {{exporter: {{prometheus: {{host: "127.0.0.1", port: {metrics}}}}}}}
extensions:""" + JAEGER_BADGER


def telemetrygen():
    binary = CACHE / "telemetrygen" / TELEMETRYGEN_VERSION / "telemetrygen"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "install", "github.com/open-telemetry/opentelemetry-collector-contrib/"
                        f"cmd/telemetrygen@{TELEMETRYGEN_VERSION}"], check=True,
                       env={**os.environ, "GOBIN": str(binary.parent)})
    return binary


def generator_command(gen, protocol, port, shape, load, seconds):
    if gen == "telemetrygen":
        cmd = ["taskset", "-c", LOAD_CORES, str(telemetrygen()), "traces", "--otlp-insecure",
               "--otlp-endpoint", f"127.0.0.1:{port}", "--workers", "10", "--batch-size", str(BATCH),
               "--duration", f"{seconds}s", "--child-spans", "1",
               # --rate 0 ("no throttling") sent 1-3k spans/s here: saturation asks for 1M/s.
               "--rate", str((load or 1_000_000) / 10)]
        if protocol == "http":
            cmd.append("--otlp-http")
        if shape == "attrs20":
            for i in range(20):
                cmd += ["--telemetry-attributes", f'attr.{i}="value-{i}"']
        return cmd
    return ["taskset", "-c", LOAD_CORES, str(LOADGEN), "--protocol", protocol,
            "--endpoint", f"127.0.0.1:{port}", "--shape", "tiny" if shape == "tiny" else "realistic",
            "--spans-per-request", str(BATCH), "--workers", "4", "--rate", str(load),
            "--total-spans", str(int((load or 3_000_000) * seconds))]


def run_one(kind, binary, gen, protocol, shape, load, pipeline, seconds, workdir):
    sink_http, sink_metrics = free_port(), free_port()
    grpc, http, metrics = free_port(), free_port(), free_port()
    data = tempfile.mkdtemp(dir=workdir, prefix=f"{kind}-data-")
    sink = None
    if pipeline == "store":
        exporter = f'  polytrace_store: {{directory: "{data}"}}'
        exporter_name = "polytrace_store"
    elif pipeline == "forward":
        sink = start(POLYTRACE, SINK.format(http=sink_http, metrics=sink_metrics), workdir,
                     f"sink-{kind}", core=LOAD_CORES)
        exporter = (f'  otlphttp:\n    endpoint: "http://127.0.0.1:{sink_http}"\n'
                    "    sending_queue: {queue_size: 5000}")
        exporter_name = "otlphttp"
    else:
        exporter, exporter_name = "  nop: {}", "nop"
    if kind == "jaeger":
        config = JAEGER_STORE.format(grpc=grpc, http=http, metrics=metrics, data=data)
    else:
        config = UNDER_TEST.format(grpc=grpc, http=http, metrics=metrics, exporter=exporter,
                                   exporter_name=exporter_name)
    proc = start(binary, config, workdir, kind, core=COLLECTOR_CORE)
    try:
        for p in (grpc, http, metrics) + ((sink_http,) if sink else ()):
            try:
                wait_port(p)
            except RuntimeError as e:
                logs = {name: (pathlib.Path(workdir) / f"{name}.log").read_text()[-2000:]
                        for name in (kind, f"sink-{kind}")
                        if (pathlib.Path(workdir) / f"{name}.log").exists()}
                raise RuntimeError(f"{e} ({kind} exit {proc.poll()}; logs: {logs})") from e
        port = grpc if protocol == "grpc" else http
        gen_proc = subprocess.Popen(generator_command(gen, protocol, port, shape, load, seconds + 2),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # warm-up: connections made, first batches through
        # The scrapes of the accepted spans stay outside the CPU window:
        # serving one cost polytrace ~650 µs, 3% of a 5 s window at 5k spans/s.
        spans0 = accepted_spans(metrics)
        threads0 = cpu_by_thread_name(proc.pid)
        cpu0, cs0, t0 = thread_cpu_seconds(proc.pid), context_switches(proc.pid), time.time()
        time.sleep(seconds)
        cpu1, cs1, t1 = thread_cpu_seconds(proc.pid), context_switches(proc.pid), time.time()
        threads1 = cpu_by_thread_name(proc.pid)
        spans1 = accepted_spans(metrics)
        gen_proc.kill()
        gen_proc.wait()
        spans = spans1 - spans0
        if spans <= 0:
            raise RuntimeError(f"{kind} accepted no spans ({gen} {protocol} {shape} {load}/s {pipeline})")
        requests = spans / BATCH
        # Per thread name: µs of CPU and context switches a request.
        threads = {name: ((c - threads0.get(name, (0, 0))[0]) / requests * 1e6,
                          (s - threads0.get(name, (0, 0))[1]) / requests)
                   for name, (c, s) in threads1.items()}
        return {"threads": threads, "collector": kind, "generator": gen, "protocol": protocol, "shape": shape,
                "load": load, "pipeline": pipeline, "spans": spans, "spans_per_s": spans / (t1 - t0),
                "cpu_us_per_span": (cpu1 - cpu0) / spans * 1e6,
                "cpu_us_per_request": (cpu1 - cpu0) / requests * 1e6,
                "ctx_switches_per_request": (cs1 - cs0) / requests,
                "cpu_share": (cpu1 - cpu0) / (t1 - t0)}
    finally:
        stop(proc)
        if sink:
            stop(sink)
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--loads", default="5000,10000,20000,50000,0")
    p.add_argument("--seconds", type=float, default=6)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--generators", default="telemetrygen,loadgen")
    p.add_argument("--protocols", default="grpc,http")
    p.add_argument("--shapes", default="tiny,attrs20")
    p.add_argument("--pipelines", default="forward,nop,store")
    p.add_argument("--otelcol", default=None)
    p.add_argument("--jaeger", default=None)
    p.add_argument("--by-thread", action="store_true",
                   help="also print polytrace's CPU and switches a request by thread name")
    args = p.parse_args()
    otelcol = args.otelcol or subprocess.check_output([str(ROOT / "scripts" / "build-otelcol.sh")],
                                                      text=True).strip().splitlines()[-1]
    jaeger = None
    if "store" in args.pipelines.split(","):
        jaeger = args.jaeger or subprocess.check_output([str(ROOT / "scripts" / "build-jaeger.sh")],
                                                        text=True).strip().splitlines()[-1]
    telemetrygen()
    rows = []
    print(f"{'pipeline':8s} {'gen':12s} {'proto':5s} {'shape':7s} {'load':>7s} | "
          f"{'polytrace spans/s':>17s} {'us/span':>8s} {'us/req':>7s} {'cs/req':>6s} | "
          f"{'peer spans/s':>15s} {'us/span':>8s} {'us/req':>7s} {'cs/req':>6s} | ratio "
          "(peer: otelcol; store: Jaeger v2 + Badger)")
    with tempfile.TemporaryDirectory() as workdir:
        for pipeline in args.pipelines.split(","):
            for gen in args.generators.split(","):
                for protocol in args.protocols.split(","):
                    for shape in args.shapes.split(","):
                        for load in (int(x) for x in args.loads.split(",")):
                            peer = ("jaeger", jaeger) if pipeline == "store" else ("otelcol", otelcol)
                            runs = {"polytrace": [], peer[0]: []}
                            for _ in range(args.repeats):
                                for kind, binary in (("polytrace", POLYTRACE), peer):
                                    runs[kind].append(run_one(kind, binary, gen, protocol, shape, load,
                                                              pipeline, args.seconds, workdir))
                            med = {k: {m: statistics.median(r[m] for r in v)
                                       for m in ("spans_per_s", "cpu_us_per_span",
                                                 "cpu_us_per_request", "ctx_switches_per_request")}
                                   for k, v in runs.items()}
                            ratio = med["polytrace"]["cpu_us_per_span"] / med[peer[0]]["cpu_us_per_span"]
                            a, b = med["polytrace"], med[peer[0]]
                            print(f"{pipeline:8s} {gen:12s} {protocol:5s} {shape:7s} "
                                  f"{(str(load // 1000) + 'k/s') if load else 'sat':>7s} | "
                                  f"{a['spans_per_s']:>17,.0f} {a['cpu_us_per_span']:8.3f} "
                                  f"{a['cpu_us_per_request']:7.0f} {a['ctx_switches_per_request']:6.1f} | "
                                  f"{b['spans_per_s']:>15,.0f} {b['cpu_us_per_span']:8.3f} "
                                  f"{b['cpu_us_per_request']:7.0f} {b['ctx_switches_per_request']:6.1f} | "
                                  f"{ratio:.3f}  ({time.strftime('%H:%M:%S')})", flush=True)
                            if args.by_thread:
                                names = sorted({n for r in runs["polytrace"] for n in r["threads"]})
                                parts = []
                                for n in names:
                                    us = statistics.median(r["threads"].get(n, (0, 0))[0] for r in runs["polytrace"])
                                    cs = statistics.median(r["threads"].get(n, (0, 0))[1] for r in runs["polytrace"])
                                    if us >= 1 or cs >= 0.05:
                                        parts.append(f"{n} {us:.0f} us/{cs:.2f} cs")
                                print("    polytrace by thread, a request: " + ", ".join(parts), flush=True)
                            rows.append({"pipeline": pipeline, "generator": gen, "protocol": protocol,
                                         "shape": shape, "load": load, "ratio": ratio, "median": med,
                                         "runs": runs})
    forwarded = {(r["generator"], r["protocol"], r["shape"], r["load"]): r["median"]["otelcol"]
                 for r in rows if r["pipeline"] == "forward"}
    for r in rows:
        key = (r["generator"], r["protocol"], r["shape"], r["load"])
        if r["pipeline"] == "store" and key in forwarded:
            r["ratio_to_otelcol_forwarding"] = (r["median"]["polytrace"]["cpu_us_per_span"] /
                                                forwarded[key]["cpu_us_per_span"])
            print(f"store vs otelcol forwarding: {key[0]} {key[1]} {key[2]} "
                  f"{(str(key[3] // 1000) + 'k/s') if key[3] else 'sat'}: "
                  f"{r['ratio_to_otelcol_forwarding']:.3f}")
    out = pathlib.Path(tempfile.gettempdir()) / "load_ratio_bench.json"
    out.write_text(json.dumps(rows, indent=1))
    print(f"all runs: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

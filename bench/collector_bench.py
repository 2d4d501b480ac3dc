#!/usr/bin/env python3
"""Collector benchmark: the same OTLP load through polytrace and through the
reference otelcol (built by scripts/build-otelcol.sh), in the same run, with
the equivalent pipeline: otlp (gRPC) -> batch -> otlphttp -> a sink.

For each span shape (tiny: 2 attributes; realistic: 20 attributes, 2 events)
it prints spans/s and CPU-seconds per million spans of the collector under
test (utime+stime from /proc, so the load generator and the sink are not
counted), peak RSS, and the polytrace/otelcol ratio. It also measures RSS
while ingesting at a fixed 100k spans/s.

usage: bench/collector_bench.py [--spans 1000000] [--protocol grpc|http] [--tls] [--rate N]
  --tls: both collectors' gRPC receiver on TLS (the same cert_file/key_file YAML),
         the load generator trusting the benchmark's own CA (made with openssl)
  --rate: spans per second of the load (default: as fast as it goes)
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from benchlib import LOADGEN, POLYTRACE, ROOT, accepted_spans, free_port, start, stop, wait_port

TICK = os.sysconf("SC_CLK_TCK")

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
      grpc: {{endpoint: "127.0.0.1:{grpc}"{tls}}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{}}
exporters:
  otlphttp:
    endpoint: "http://127.0.0.1:{sink}"
    sending_queue: {{queue_size: 5000}}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [otlphttp]}}
  telemetry:
    metrics: {{{metrics}}}
"""






def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0








def make_certs(workdir):
    """A CA and a server certificate for 127.0.0.1; returns (tls YAML fragment, CA file)."""
    d = pathlib.Path(workdir)
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=bench-ca")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext")
    return (f', tls: {{cert_file: "{d}/server.crt", key_file: "{d}/server.key"}}',
            str(d / "ca.crt"))


def run_one(binary, kind, shape, spans, workdir, rate=0, protocol="grpc", tls=None):
    sink_http, sink_metrics, grpc, http = free_port(), free_port(), free_port(), free_port()
    sink = start(POLYTRACE, SINK.format(http=sink_http, metrics=sink_metrics), workdir, f"sink-{kind}")
    metrics = "level: none"  # both collectors: no self-metrics endpoint to serve
    config = UNDER_TEST.format(grpc=grpc, http=http, sink=sink_http, metrics=metrics,
                               tls=tls[0] if tls else "")
    proc = start(binary, config, workdir, kind)
    try:
        wait_port(sink_http)
        wait_port(grpc)
        wait_port(http)
        cpu0, t0 = cpu_seconds(proc.pid), time.time()
        before = accepted_spans(sink_metrics)
        port = grpc if protocol == "grpc" else http
        cmd = [str(LOADGEN), "--protocol", protocol, "--endpoint", f"127.0.0.1:{port}", "--shape", shape,
               "--spans-per-request", "500", "--total-spans", str(spans), "--workers", "4",
               "--rate", str(rate)]
        if tls:
            cmd += ["--ca-file", tls[1]]
        rss_samples = []
        gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        while gen.poll() is None:
            rss_samples.append(rss_mib(proc.pid))
            time.sleep(0.2)
        load = json.loads(gen.stdout.read().strip().splitlines()[-1])
        # The collector is done when the sink has every span it acknowledged.
        end = time.time() + 120
        while accepted_spans(sink_metrics) - before < load["acked_spans"] and time.time() < end:
            time.sleep(0.05)
        delivered = accepted_spans(sink_metrics) - before
        seconds, cpu = time.time() - t0, cpu_seconds(proc.pid) - cpu0
        return {"collector": kind, "shape": shape, "acked": load["acked_spans"], "delivered": delivered,
                "spans_per_s": delivered / seconds, "cpu_s_per_million": cpu / (delivered / 1e6),
                "peak_rss_mib": peak_rss_mib(proc.pid),
                "max_rss_during_load_mib": max(rss_samples) if rss_samples else 0.0}
    finally:
        stop(proc)
        stop(sink)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spans", type=int, default=1_000_000)
    p.add_argument("--otelcol", default=None, help="otelcol binary (default: scripts/build-otelcol.sh)")
    p.add_argument("--protocol", choices=("grpc", "http"), default="grpc",
                   help="how the load reaches both collectors (OTLP/gRPC or OTLP/HTTP protobuf)")
    p.add_argument("--tls", action="store_true", help="the gRPC receivers on TLS")
    p.add_argument("--rate", type=int, default=0, help="spans per second (default: saturation)")
    args = p.parse_args()
    if args.tls and args.protocol != "grpc":
        p.error("--tls measures the gRPC receiver")
    otelcol = args.otelcol or subprocess.check_output([str(ROOT / "scripts" / "build-otelcol.sh")],
                                                      text=True).strip().splitlines()[-1]
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        tls = make_certs(workdir) if args.tls else None
        label = args.protocol + ("+tls" if tls else "") + (f"@{args.rate // 1000}k/s" if args.rate else "")
        for shape, spans in (("tiny", args.spans), ("realistic", args.spans // 2)):
            pair = {}
            for kind, binary in (("polytrace", POLYTRACE), ("otelcol", otelcol)):
                pair[kind] = run_one(binary, kind, shape, spans, workdir, rate=args.rate,
                                     protocol=args.protocol, tls=tls)
                results.append(pair[kind])
            ratio = pair["polytrace"]["cpu_s_per_million"] / pair["otelcol"]["cpu_s_per_million"]
            print(f"{shape:9s} {label} polytrace {pair['polytrace']['spans_per_s']:>10,.0f} spans/s "
                  f"{pair['polytrace']['cpu_s_per_million']:6.2f} CPU-s/M  peak RSS {pair['polytrace']['peak_rss_mib']:6.1f} MiB | "
                  f"otelcol {pair['otelcol']['spans_per_s']:>10,.0f} spans/s {pair['otelcol']['cpu_s_per_million']:6.2f} CPU-s/M  "
                  f"peak RSS {pair['otelcol']['peak_rss_mib']:6.1f} MiB | CPU ratio {ratio:.3f}")
        if tls or args.rate:
            print(json.dumps(results, indent=1))
            return 0
        steady = run_one(POLYTRACE, "polytrace", "realistic", 1_000_000, workdir, rate=100_000)
        print(f"polytrace at a fixed 100k spans/s (realistic): max RSS {steady['max_rss_during_load_mib']:.1f} MiB, "
              f"{steady['cpu_s_per_million']:.2f} CPU-s/M")
        results.append({**steady, "shape": "realistic@100k/s"})
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())

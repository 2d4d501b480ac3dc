#!/usr/bin/env python3
"""A trace of a million spans read back whole: how much memory the server needs to answer it, in
each form, beside Jaeger v2 + Badger answering the same trace (issue #20, item 4).

One trace of --spans spans as loops and batch jobs make them (polytrace-loadgen --shape bigtrace:
five services, about 10 attributes a span, a root with 2,000 children, 50 hubs with thousands each,
a ternary tree below, depth about 15) is sent to each system over OTLP/gRPC. Then each answer is
downloaded as a client would (to a file, never held by the client), fresh and after a restart, and
for each: the server's peak RSS rise while it answered (VmHWM after resetting it through
/proc/PID/clear_refs, minus VmRSS before), time to the first byte and to the last, bytes, and the
spans the answer holds (counted in it: a fast answer missing spans is a failure). The CLI
(`polytrace traces get --format jaeger|otlp-json`) is measured the same way, with its own peak RSS.

    scripts/build.sh release && bench/big_trace_bench.py --spans 1000000

The CLI's peak RSS comes from GNU time (Debian's `time` package: apt-get install time).
"""
import argparse
import http.client
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import (JAEGER_CONFIG, LOADGEN, POLYTRACE, ROOT, free_port, reset_peak,  # noqa: E402
                      status_kib, thread_cpu_seconds, wait_port)

TRACE_ID = "b16b16b16b16b16b16b16b16b16b16b1"  # span_shapes.h kBigTraceId

POLYTRACE_CONFIG = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}", max_recv_msg_size_mib: 64}}
processors:
  batch: {{}}
exporters:
  # Merges run within a second of the seal that makes them due, so they are
  # over (the server idle) before an answer's memory is measured: a merge
  # during one once showed as 86 MiB of its "rise".
  polytrace_store: {{directory: "{data}", compaction: {{interval: 1s}}}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""

# name: path, Accept header, how to count the spans in the answer
FORMS = {
    "Jaeger JSON": (f"/api/traces/{TRACE_ID}", "application/json", "jaeger"),
    "OTLP JSON (Tempo v2)": (f"/api/v2/traces/{TRACE_ID}", "application/json", "otlp-json"),
    "OTLP protobuf (Tempo v1)": (f"/api/traces/{TRACE_ID}", "application/protobuf", "otlp-proto"),
    "Tempo v2 protobuf": (f"/api/v2/traces/{TRACE_ID}", "application/protobuf", "tempo-v2-proto"),
    "UI columns": (f"/api/v2/traces/{TRACE_ID}", "application/vnd.polytrace.trace-columns", "columns"),
}


def count_in_file(path, needle, chunk=1 << 24):
    count, tail = 0, b""
    with open(path, "rb") as f:
        while piece := f.read(chunk):
            data = tail + piece
            count += data.count(needle)
            tail = data[-(len(needle) - 1):]  # shorter than the needle: no match counted twice
    return count


def varint(buf, at):
    value, shift = 0, 0
    while True:
        b = buf[at]
        at += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, at


def fields(buf, start, end):
    """(field number, start, end) of each length-delimited field in buf[start:end]."""
    at = start
    while at < end:
        key, at = varint(buf, at)
        wire = key & 7
        if wire == 2:
            n, at = varint(buf, at)
            yield key >> 3, at, at + n
            at += n
        elif wire == 0:
            _, at = varint(buf, at)
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        else:
            raise ValueError(f"wire type {wire} at {at}")


def count_proto_spans(buf, start, end):
    """Spans in an OTLP TracesData: resource_spans (1) > scope_spans (2) > spans (2)."""
    spans = 0
    for f1, s1, e1 in fields(buf, start, end):
        if f1 != 1:
            continue
        for f2, s2, e2 in fields(buf, s1, e1):
            if f2 != 2:
                continue
            spans += sum(1 for f3, _, _ in fields(buf, s2, e2) if f3 == 2)
    return spans


def count_column_spans(buf):
    """Spans in the UI's columns (src/query/trace_columns.h): the counts of its span frames."""
    at, spans = 0, 0
    while at < len(buf):
        kind, length = int.from_bytes(buf[at:at + 4], "little"), int.from_bytes(buf[at + 4:at + 8], "little")
        if kind == 3:
            spans += int.from_bytes(buf[at + 8:at + 12], "little")
        at += 8 + length
    assert at == len(buf), "frames end where the answer ends"
    return spans


def count_spans(path, how):
    if how == "jaeger":
        return count_in_file(path, b'"operationName"')  # once per span
    if how == "otlp-json":
        return count_in_file(path, b'"spanId"')  # once per span ("parentSpanId" differs; no links)
    buf = pathlib.Path(path).read_bytes()
    if how == "columns":
        return count_column_spans(buf)
    if how == "otlp-proto":
        return count_proto_spans(buf, 0, len(buf))
    (field, start, end), = list(fields(buf, 0, len(buf)))  # TraceByIDResponse.trace
    assert field == 1 and end == len(buf), "Tempo v2 protobuf: one trace field, its length exact"
    return count_proto_spans(buf, start, end)


def download(port, path, accept, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.monotonic()
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    first, size = None, 0
    with open(out, "wb") as f:
        while piece := resp.read1(1 << 20):
            if first is None:
                first = time.monotonic() - t0
            size += len(piece)
            f.write(piece)
    total = time.monotonic() - t0
    conn.close()
    return resp.status, resp.getheader("Transfer-Encoding") or "length", first or total, total, size


class System:
    def __init__(self, name, binary, config, workdir):
        self.name, self.binary, self.workdir = name, binary, workdir
        self.ports = {k: free_port() for k in ("grpc", "http", "query", "query_grpc", "metrics")}
        self.data = workdir / f"{name}-data"
        self.data.mkdir(parents=True)
        self.config = workdir / f"{name}.yaml"
        self.config.write_text(config.format(data=self.data, **self.ports))
        self.proc = None

    def start(self):
        log = open(self.workdir / f"{self.name}.log", "a")
        self.proc = subprocess.Popen([str(self.binary), "--config", str(self.config)], stdout=log,
                                     stderr=subprocess.STDOUT)
        wait_port(self.ports["grpc"], 60)
        wait_port(self.ports["query"], 60)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(300)

    def wait_idle(self, quiet=2.0, deadline=900):
        """Until the server used no CPU for `quiet` seconds (it wrote what it acknowledged)."""
        end, last, since = time.monotonic() + deadline, thread_cpu_seconds(self.proc.pid), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.25)
            now = thread_cpu_seconds(self.proc.pid)
            # Busy: more than 10 ms of CPU in this quarter second (Jaeger idles at ~2 ms).
            if now - last > 0.01:
                since = time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            last = now
        raise RuntimeError(f"{self.name} never settled")


def measure(system, form, workdir, spans):
    path, accept, how = FORMS[form]
    pid = system.proc.pid
    out = workdir / "answer.bin"
    reset_peak(pid)
    before = status_kib(pid, "VmRSS")
    status, framing, first, total, size = download(system.ports["query"], path, accept, out)
    rise = (status_kib(pid, "VmHWM") - before) / 1024
    found = count_spans(out, how) if status == 200 else 0
    out.unlink()
    if found != spans:
        print(f"  !! {system.name} {form}: {found} spans of {spans} (status {status})", flush=True)
    return {"form": form, "status": status, "framing": framing, "spans": found, "bytes": size,
            "first_byte_s": round(first, 3), "total_s": round(total, 3), "server_rss_rise_mib": round(rise, 1)}


def measure_cli(system, fmt, workdir, spans):
    pid = system.proc.pid
    out = workdir / "cli.out"
    reset_peak(pid)
    before = status_kib(pid, "VmRSS")
    t0 = time.monotonic()
    # GNU time reports the CLI's own peak RSS: a child forked from this
    # script counts the script's pages until its exec.
    rss_file = workdir / "cli.rss"
    with open(out, "wb") as f:
        status = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss_file), str(POLYTRACE), "traces", "get",
                                 TRACE_ID, "--format", fmt, "--endpoint",
                                 f"http://127.0.0.1:{system.ports['query']}"], stdout=f).returncode
    total = time.monotonic() - t0
    cli_peak_kib = int(rss_file.read_text().split()[-1])
    rise = (status_kib(pid, "VmHWM") - before) / 1024
    found = count_spans(out, "jaeger" if fmt == "jaeger" else "otlp-json")
    size = out.stat().st_size
    out.unlink()
    if found != spans or status != 0:
        print(f"  !! CLI --format {fmt}: {found} spans of {spans} (exit {status})", flush=True)
    return {"form": f"CLI --format {fmt}", "status": status, "spans": found, "bytes": size,
            "total_s": round(total, 3), "server_rss_rise_mib": round(rise, 1),
            "cli_peak_rss_mib": round(cli_peak_kib / 1024, 1)}


def run(system, spans, forms, cli, workdir):
    system.start()
    t0 = time.monotonic()
    subprocess.run([str(LOADGEN), "--protocol", "grpc", "--endpoint", f"127.0.0.1:{system.ports['grpc']}",
                    "--shape", "bigtrace", "--unique", "--spans-per-request", "1000",
                    "--total-spans", str(spans), "--workers", "2"], check=True, capture_output=True)
    system.wait_idle()
    print(f"{system.name}: {spans} spans sent and settled in {time.monotonic() - t0:.1f} s", flush=True)
    results = {}
    for phase in ("fresh", "restarted"):
        if phase == "restarted":
            system.stop()
            system.start()
            system.wait_idle()
        rows = [measure(system, form, workdir, spans) for form in forms]
        if cli:
            rows += [measure_cli(system, fmt, workdir, spans) for fmt in ("jaeger", "otlp-json")]
        for r in rows:
            print(f"  {system.name} {phase}: {json.dumps(r)}", flush=True)
        results[phase] = rows
    system.stop()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["polytrace", "jaeger"])
    args = parser.parse_args()
    if not pathlib.Path("/usr/bin/time").exists():
        sys.exit("big_trace_bench: needs GNU time for the CLI's peak RSS (apt-get install time)")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="big-trace-bench-"))
    results = {}
    try:
        if args.only != "jaeger":
            results["polytrace"] = run(System("polytrace", POLYTRACE, POLYTRACE_CONFIG, workdir), args.spans,
                                       list(FORMS), True, workdir)
        if args.only != "polytrace":
            jaeger = subprocess.run([str(ROOT / "scripts" / "build-jaeger.sh")], capture_output=True, text=True,
                                    check=True).stdout.strip()
            results["jaeger"] = run(System("jaeger", jaeger, JAEGER_CONFIG, workdir), args.spans,
                                    ["Jaeger JSON"], False, workdir)
    finally:
        if os.environ.get("BIG_TRACE_KEEP"):
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{args.spans:,}-span trace: server peak RSS rise while answering (MiB), time to first byte / "
          "last byte (s), answer size (MB), spans in the answer")
    for phase in ("fresh", "restarted"):
        jaeger_rise = {r["form"]: r["server_rss_rise_mib"] for r in results.get("jaeger", {}).get(phase, [])}
        for system, by_phase in results.items():
            for r in by_phase[phase]:
                ratio = ""
                if system == "polytrace" and r["form"] in jaeger_rise and jaeger_rise[r["form"]] > 0:
                    ratio = f"  ratio {r['server_rss_rise_mib'] / jaeger_rise[r['form']]:.3f} of Jaeger's"
                cli = f", CLI peak RSS {r['cli_peak_rss_mib']} MiB" if "cli_peak_rss_mib" in r else ""
                first = f"{r['first_byte_s']:.2f} / " if "first_byte_s" in r else ""
                print(f"  {phase:9} {system:9} {r['form']:26} rise {r['server_rss_rise_mib']:7.1f}  "
                      f"{first}{r['total_s']:.2f} s  {r['bytes'] / 1e6:7.1f} MB  {r['spans']:,} spans"
                      f"{' (' + r['framing'] + ')' if 'framing' in r else ''}{cli}{ratio}")
    bad = [r for s in results.values() for rows in s.values() for r in rows if r["spans"] != args.spans]
    if bad:
        print(f"FAILED: {len(bad)} answers did not hold all {args.spans} spans", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The trace analysis of a big trace in bounded memory (issue #20, item 4).

Starts polytrace (the embedded store and the query API) on free loopback
ports, sends one trace of --spans spans as loops and batch jobs make them
(polytrace-loadgen --shape bigtrace: five services, ten attributes a span, a
root with 2,000 children, hubs with thousands), then asks
GET /api/analysis/traces/{id}:
  - once, alone: wall time, the server's peak RSS rise (VmHWM reset through
    /proc/PID/clear_refs just before, minus VmRSS), the answer's size, and
    the span count it reports checked;
  - once more after a restart (read from the segments), the same checked;
  - --parallel times at once, as several users (or the UI's health page,
    four at a time) would: each one's wall time and answer checked, the
    server's peak RSS rise over all of them, and the service list asked
    over and over meanwhile (its p50 and max beside them, against alone:
    the ratio says how much the analyses hold up a quick lookup).

usage: bench/analysis_bench.py [--spans 1000000] [--parallel 5]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from benchlib import (LOADGEN, free_port, reset_peak, start_ready, status_kib,
                      store_query_config)

TRACE_ID = "b16b16b16b16b16b16b16b16b16b16b1"  # the bigtrace shape's


def get(port, path, timeout=600):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--parallel", type=int, default=5)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="analysis-bench-"))
    grpc, query, metrics = free_port(), free_port(), free_port()
    config = store_query_config(work, f'grpc: {{endpoint: "127.0.0.1:{grpc}"}}', query, metrics)
    log = open(work / "polytrace.log", "w")
    proc = start_ready(config, metrics, log)
    try:
        subprocess.run([str(LOADGEN), "--protocol", "grpc", "--endpoint", f"127.0.0.1:{grpc}",
                        "--shape", "bigtrace", "--unique", "--spans-per-request", "1000",
                        "--total-spans", str(args.spans), "--workers", "2"],
                       check=True, capture_output=True)

        def analyse():
            t0 = time.perf_counter()
            body = get(query, f"/api/analysis/traces/{TRACE_ID}")
            ms = (time.perf_counter() - t0) * 1000
            spans = json.loads(body)["spans"]
            assert spans == args.spans, f"the analysis saw {spans} of {args.spans} spans"
            return ms, len(body)

        # Every span acknowledged is stored: the analysis sees them all.
        deadline = time.monotonic() + 120
        while True:
            try:
                analyse()
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

        def services():
            t0 = time.perf_counter()
            names = json.loads(get(query, "/api/services"))["data"]
            assert "gateway" in names, f"services: {names}"
            return (time.perf_counter() - t0) * 1000

        reset_peak(proc.pid)
        base = status_kib(proc.pid, "VmRSS")
        alone_ms, answer_bytes = analyse()
        alone_rise = (status_kib(proc.pid, "VmHWM") - base) / 1024
        quick_alone = sorted(services() for _ in range(20))

        reset_peak(proc.pid)
        base = status_kib(proc.pid, "VmRSS")
        done = []
        threads = [threading.Thread(target=lambda: done.append(analyse()[0]))
                   for _ in range(args.parallel)]
        for t in threads:
            t.start()
        quick_beside = []
        while any(t.is_alive() for t in threads):
            quick_beside.append(services())
            time.sleep(0.05)
        for t in threads:
            t.join()
        assert len(done) == args.parallel, "an analysis asked beside the others failed"
        parallel_rise = (status_kib(proc.pid, "VmHWM") - base) / 1024
        quick_beside.sort()
        done.sort()
        # Read back after a restart: from the segments only, every span counted again.
        proc.terminate()
        proc.wait(timeout=60)
        proc = start_ready(config, metrics, log)
        reset_peak(proc.pid)
        base = status_kib(proc.pid, "VmRSS")
        restarted_ms, _ = analyse()
        restarted_rise = (status_kib(proc.pid, "VmHWM") - base) / 1024
        result = {"spans": args.spans, "analysis_ms": alone_ms, "answer_bytes": answer_bytes,
                  "rss_rise_mib": alone_rise, "after_restart_ms": restarted_ms,
                  "after_restart_rss_rise_mib": restarted_rise, "parallel": args.parallel,
                  "parallel_ms": done, "parallel_rss_rise_mib": parallel_rise,
                  "services_alone_p50_ms": quick_alone[len(quick_alone) // 2],
                  "services_beside_p50_ms": quick_beside[len(quick_beside) // 2],
                  "services_beside_max_ms": quick_beside[-1],
                  "services_beside_askings": len(quick_beside)}
        print(f"analysis of one {args.spans:,}-span trace: {alone_ms:.0f} ms, peak RSS rise "
              f"{alone_rise:.0f} MiB, answer {answer_bytes:,} bytes, every span counted; after "
              f"a restart {restarted_ms:.0f} ms, rise {restarted_rise:.0f} MiB, every span counted")
        print(f"{args.parallel} at once: {done[0]:.0f}-{done[-1]:.0f} ms each, peak RSS rise "
              f"{parallel_rise:.0f} MiB; the service list beside them: p50 "
              f"{result['services_beside_p50_ms']:.1f} ms, max {quick_beside[-1]:.1f} ms over "
              f"{len(quick_beside)} askings (alone: p50 {result['services_alone_p50_ms']:.1f} ms; "
              f"ratio {result['services_beside_p50_ms'] / result['services_alone_p50_ms']:.1f})")
        print(json.dumps(result))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    sys.exit(main())

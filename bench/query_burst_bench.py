#!/usr/bin/env python3
"""Quick answers while a burst of searches runs: how long the services list waits.

--spans spans of polytrace-loadgen's `demo` shape are stored; then --heavy TraceQL searches that
each read the whole store's candidates (`{ span.http.route =~ ".*zzz.*" }`: 20,000 traces
inspected, none found) are asked at once, and /api/services is asked every 50 ms until the last
search has answered. Printed: each search's time and status (200, or 503 when refused), and the
services list's median and worst time meanwhile. --peer runs another build the same way (a
build before a change); its figures are printed beside and as a ratio.

    scripts/build.sh release polytrace polytrace-loadgen
    bench/query_burst_bench.py --heavy 20 [--peer <another build's polytrace>]
"""
import argparse
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import big_trace_bench as big  # noqa: E402
from benchlib import LOADGEN, POLYTRACE  # noqa: E402

HEAVY = "/api/search?limit=20&q=" + urllib.parse.quote('{ span.http.route =~ ".*zzz.*" }')


def get(base, path):
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=600) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return time.perf_counter() - t, status


def run(name, binary, args):
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="query-burst-"))
    system = big.System(name, pathlib.Path(binary), big.POLYTRACE_CONFIG, workdir)
    try:
        system.start()
        subprocess.run([str(LOADGEN), "--protocol", "grpc", "--endpoint", f"127.0.0.1:{system.ports['grpc']}",
                        "--shape", "demo", "--unique", "--total-spans", str(args.spans), "--workers", "2"],
                       check=True, capture_output=True)
        system.wait_idle()
        base = f"http://127.0.0.1:{system.ports['query']}"
        alone, _ = get(base, HEAVY)
        searches = []
        threads = [threading.Thread(target=lambda: searches.append(get(base, HEAVY))) for _ in range(args.heavy)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        probes = []
        while any(t.is_alive() for t in threads):
            dt, status = get(base, "/api/services")
            assert status == 200, status
            probes.append(dt)
            time.sleep(0.05)
        for t in threads:
            t.join()
        result = {"alone_s": alone, "all_s": time.perf_counter() - t0,
                  "ok": sum(s == 200 for _, s in searches), "refused": sum(s == 503 for _, s in searches),
                  "other": sum(s not in (200, 503) for _, s in searches),
                  "probes": len(probes), "p50_ms": statistics.median(probes) * 1000, "max_ms": max(probes) * 1000}
        print(f"{name}: one search alone {alone:.2f} s; {args.heavy} at once: done in {result['all_s']:.1f} s, "
              f"{result['ok']} answered, {result['refused']} refused (503), {result['other']} other; "
              f"/api/services meanwhile: {len(probes)} askings, median {result['p50_ms']:.1f} ms, "
              f"worst {result['max_ms']:.0f} ms", flush=True)
        return result
    finally:
        if system.proc is not None:
            system.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--heavy", type=int, default=20)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--peer", default=None, help="another build's polytrace binary")
    args = parser.parse_args()
    this = run("polytrace", POLYTRACE, args)
    if args.peer:
        peer = run("peer", args.peer, args)
        print(f"worst /api/services wait, this / peer: {this['max_ms']:.0f} / {peer['max_ms']:.0f} ms, "
              f"ratio {this['max_ms'] / peer['max_ms']:.3f}")
    if this["other"]:
        sys.exit(f"FAILED: {this['other']} searches answered neither 200 nor 503")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Jaeger's answers of several traces from two builds of polytrace on one store: the same bytes,
and how long each took (a change to how answers are read and written must leave both alone).

--spans spans of polytrace-loadgen's `demo` shape (five services, ~10 attributes a span) are
stored once by this build; the store is copied for each build, both start on their copy, and
each search (Jaeger's /api/traces, from 20 traces to a 100,000-span answer, and a search by
trace IDs) is asked --reps times of each, alternating which goes first. Printed per search:
traces and spans in the answer, whether both builds answered the same bytes (a difference fails
the run), and the median time of each with their ratio (this build / the peer).

--searches store asks the store benchmark's searches instead (limit 20: a service, an operation,
tags that match many, few and no traces) and does not fail when the answers differ: for a change
of which traces a search returns (the newest, not the first found), printed with the age of the
newest and the oldest trace of each answer (its latest span's start, before the run's end). Each
build then stores the spans itself (a change of the store's format: an older build cannot read
a newer one's segments), and is restarted on them.

    scripts/build.sh release polytrace polytrace-loadgen
    bench/jaeger_answers_ab.py --peer <another build's polytrace> [--spans 500000] [--reps 20]
                               [--searches answers|store]
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import big_trace_bench as big  # noqa: E402
import store_bench  # noqa: E402
from benchlib import LOADGEN, POLYTRACE  # noqa: E402

# The store benchmark's Jaeger searches (limit 20), but those of a new user each asking.
STORE_SEARCHES = [f"/api/traces?{q}&limit=20" for _, q in store_bench.JAEGER_SEARCHES if not callable(q)]
SEARCHES = ["/api/traces?service=gateway&limit=20", "/api/traces?service=gateway&limit=100",
            "/api/traces?service=gateway&limit=1500", "/api/traces?service=payment&limit=20000"]


def get(system, path):
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{system.ports['query']}{path}", timeout=300) as r:
        body = r.read()
    return time.perf_counter() - t, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", required=True, help="the other build's polytrace binary")
    parser.add_argument("--spans", type=int, default=500_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--searches", choices=["answers", "store"], default="answers")
    args = parser.parse_args()
    builds = {"this": POLYTRACE, "peer": pathlib.Path(args.peer)}
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="jaeger-answers-ab-"))
    systems = {}

    def load(system):
        subprocess.run([str(LOADGEN), "--protocol", "grpc", "--endpoint", f"127.0.0.1:{system.ports['grpc']}",
                        "--shape", "demo", "--unique", "--total-spans", str(args.spans), "--workers", "2"],
                       check=True, capture_output=True)
        system.wait_idle()
        system.stop()

    try:
        if args.searches == "answers":
            seed = big.System("seed", POLYTRACE, big.POLYTRACE_CONFIG, workdir)
            seed.start()
            load(seed)
        for name, binary in builds.items():
            system = big.System(name, binary, big.POLYTRACE_CONFIG, workdir)
            if args.searches == "answers":
                shutil.rmtree(system.data)
                shutil.copytree(seed.data, system.data)
            else:
                # Each build stores the same spans (the load generator's are the same run to run,
                # but for their times) in its own format, and is restarted on them.
                system.start()
                load(system)
            system.start()
            system.wait_idle()
            systems[name] = system
        _, found = get(systems["this"], SEARCHES[1])
        ids = [t["traceID"] for t in json.loads(found)["data"][:50]]
        searches = SEARCHES + ["/api/traces?" + "&".join(f"traceID={i}" for i in ids)]
        if args.searches == "store":
            searches = STORE_SEARCHES
        end_us = time.time() * 1e6
        differ = 0
        for path in searches:
            times, bodies = {n: [] for n in systems}, {}
            for i in range(args.reps):
                order = list(systems.items()) if i % 2 == 0 else list(reversed(systems.items()))
                for name, system in order:
                    dt, body = get(system, path)
                    times[name].append(dt)
                    bodies[name] = body
            doc = json.loads(bodies["this"])
            same = bodies["this"] == bodies["peer"]
            differ += not same
            p50 = {n: statistics.median(v) * 1000 for n, v in times.items()}
            print(f"{path[:70]}: {len(doc['data'])} traces, {sum(len(t['spans']) for t in doc['data']):,} "
                  f"spans, {len(bodies['this']):,} bytes, same bytes: {same}; median {p50['this']:.1f} ms "
                  f"vs the peer's {p50['peer']:.1f} ms, ratio {p50['this'] / p50['peer']:.3f}", flush=True)
            if args.searches == "store":
                for name in systems:
                    ages = [(end_us - max(s["startTime"] for s in t["spans"])) / 1e6
                            for t in json.loads(bodies[name])["data"]]
                    if ages:
                        print(f"    {name}: {len(ages)} traces, latest span started {min(ages):.2f} s to "
                              f"{max(ages):.2f} s before the run", flush=True)
    finally:
        for system in systems.values():
            system.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if differ and args.searches == "answers":
        sys.exit(f"FAILED: {differ} answers differ between the builds")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Queries while spans keep arriving: polytrace's embedded store against Jaeger v2 with Badger.

The store benchmark (store_bench.py) asks its queries of idle servers. A collector that is also
the backend answers while it ingests, so this one asks them during a steady load, as users do:

  1. Each system (otlp gRPC -> batch -> its store, the store benchmark's configs) is filled with
     --prefill spans of polytrace-loadgen's `demo` shape, then left to settle (idle).
  2. For each --loads rate (spans/s; 0 = no ingest, the baseline), for --repeats rounds, each
     system in turn (who goes first alternating): polytrace-loadgen sends the demo shape at that
     rate for --seconds while this script asks, one after the other:
       - a trace by ID, of a trace stored before the load (the Jaeger API on both);
       - a search, `service=gateway` and a new `user.id` each asking (a handful of traces
         in the whole store, so each asking reads the store, not a cache);
       - each second, a freshness probe: a 3-span trace sent over OTLP/HTTP, then asked by ID
         every 5 ms until it comes back whole: the time from sending it to its 200 and to
         readable (a collector may answer before it has stored what it took, or after).
     The queries are paced (--query-rate pairs a second), as users ask.
  3. Printed per load: p50 / p99 / worst of each kind, what they returned (traces with spans,
     traces found), the spans each system took in (its loadgen's acknowledged count) and its CPU
     meanwhile, with ratios polytrace / jaeger.

Each server runs pinned to one core (SERVER_CORE), this script and the load generator to the
other, as in store_bench.py.

    scripts/build.sh release polytrace polytrace-loadgen
    bench/query_under_ingest_bench.py [--prefill 1000000] [--loads 0,2000,8000] [--seconds 20]
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import store_bench as sb  # noqa: E402
from benchlib import JAEGER_CONFIG  # noqa: E402

PROBE_POLL_S = 0.005
PROBE_DEADLINE_S = 15.0


def fill(system, spans):
    subprocess.run([str(sb.LOADGEN), "--protocol", "grpc", "--endpoint", f"127.0.0.1:{system.ports['grpc']}",
                    "--shape", "demo", "--unique", "--spans-per-request", "1000", "--total-spans", str(spans),
                    "--workers", "2"], check=True, capture_output=True)
    sb.wait_idle(system)


def stored_ids(system, count):
    body = json.loads(sb.get(system.ports["query"], f"/api/traces?service=gateway&limit={count}&lookback=1h"))
    ids = [t["traceID"] for t in body["data"]]
    if len(ids) < count // 2:
        raise RuntimeError(f"{system.name}: only {len(ids)} stored traces found to look up")
    return ids


def probe_body(trace_id):
    now = time.time_ns()
    spans = [{"traceId": trace_id, "spanId": f"{i + 1:016x}", "name": f"probe-{i}", "kind": 1,
              **({"parentSpanId": "0000000000000001"} if i else {}),
              "startTimeUnixNano": str(now - 3_000_000 + i * 1000), "endTimeUnixNano": str(now - i * 1000)}
             for i in range(3)]
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "probe"}}]},
        "scopeSpans": [{"scope": {"name": "freshness"}, "spans": spans}]}]}).encode()


def freshness(system, trace_id):
    """Seconds from sending a trace over OTLP/HTTP to its answer (200), and to the trace read back
    whole (3 spans): a collector may answer before it has stored what it took, or after."""
    sent = time.perf_counter()
    request = urllib.request.Request(f"http://127.0.0.1:{system.ports['http']}/v1/traces",
                                     data=probe_body(trace_id), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        r.read()
        assert r.status == 200, f"{system.name}: probe refused: HTTP {r.status}"
    acked = time.perf_counter()
    while time.perf_counter() - sent < PROBE_DEADLINE_S:
        try:
            body = json.loads(sb.get(system.ports["query"], f"/api/traces/{trace_id}", timeout=30))
            if body.get("data") and len(body["data"][0]["spans"]) == 3:
                return acked - sent, time.perf_counter() - sent
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        time.sleep(PROBE_POLL_S)
    raise RuntimeError(f"{system.name}: probe trace {trace_id} not readable {PROBE_DEADLINE_S}s after its 200")


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t0) * 1000, value


def round_under_load(system, load, seconds, query_rate, ids, user_base, probe_base):
    """One round: the load for `seconds` (none when 0) while queries run; returns their figures."""
    loadgen = None
    if load:
        loadgen = subprocess.Popen([str(sb.LOADGEN), "--protocol", "grpc",
                                    "--endpoint", f"127.0.0.1:{system.ports['grpc']}", "--shape", "demo",
                                    "--unique", "--spans-per-request", "500", "--rate", str(load),
                                    "--total-spans", str(load * seconds), "--workers", "2"],
                                   stdout=subprocess.PIPE, text=True)
    cpu0, t0 = sb.cpu_seconds(system.proc.pid), time.monotonic()
    by_id, search, fresh, acks = [], [], [], []
    spans_read = found = 0
    next_probe = t0 + 0.5
    i = 0
    while time.monotonic() - t0 < seconds:
        # Paced: a pair of queries each 1/query_rate s, as users ask (a closed loop would give the
        # faster system more queries to answer, and its ingest more to compete with).
        pause = t0 + i / query_rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        trace_id = ids[(user_base + i) % len(ids)]
        ms, raw = timed(lambda: sb.get(system.ports["query"], f"/api/traces/{trace_id}"))
        body = json.loads(raw)
        assert body["data"] and body["data"][0]["spans"], f"{system.name}: trace {trace_id} came back empty"
        spans_read += len(body["data"][0]["spans"])
        by_id.append(ms)
        path = "/api/traces?service=gateway&lookback=1h&limit=20&tags=" + \
            sb.jaeger_tags({"user.id": f"user-{user_base + i}"})
        ms, raw = timed(lambda: sb.get(system.ports["query"], path))
        found += len(json.loads(raw)["data"])
        search.append(ms)
        if time.monotonic() >= next_probe:
            ack, readable = freshness(system, f"{probe_base + len(fresh):08x}" + "cd" * 12)
            acks.append(ack * 1000)
            fresh.append(readable * 1000)
            next_probe += 1.0
        i += 1
    acked = 0
    if loadgen:
        out, _ = loadgen.communicate(timeout=120)
        acked = json.loads(out.strip().splitlines()[-1])["acked_spans"]
    # Until the load has been sent and acknowledged: a system that could not keep its pace is
    # measured over the longer time it took.
    elapsed = time.monotonic() - t0
    cpu = sb.cpu_seconds(system.proc.pid) - cpu0
    return {"by_id": by_id, "search": search, "fresh": fresh, "ack": acks, "spans_read": spans_read, "found": found,
            "acked": acked, "cpu_s": cpu, "seconds": elapsed}


def summary(values):
    return {"p50": sb.percentile(values, 50), "p99": sb.percentile(values, 99), "max": max(values),
            "n": len(values)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--loads", default="0,2000,8000", help="spans/s, comma-separated; 0 = no ingest")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--binary", default=str(sb.POLYTRACE), help="the polytrace under test")
    parser.add_argument("--peer", help="another polytrace build as the peer instead of Jaeger (an A/B)")
    parser.add_argument("--query-rate", type=float, default=20,
                        help="trace-by-ID + search pairs a second")
    args = parser.parse_args()
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {sb.CLIENT_CORE})
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="query-under-ingest-"))
    if args.peer:
        peer = sb.System("peer", pathlib.Path(args.peer), sb.POLYTRACE_CONFIG, workdir)
    else:
        jaeger = subprocess.run([str(sb.ROOT / "scripts" / "build-jaeger.sh")], capture_output=True, text=True,
                                check=True).stdout.strip()
        peer = sb.System("jaeger", jaeger, JAEGER_CONFIG, workdir)
    systems = [sb.System("polytrace", pathlib.Path(args.binary), sb.POLYTRACE_CONFIG, workdir), peer]
    loads = [int(x) for x in args.loads.split(",")]
    results = {s.name: {load: [] for load in loads} for s in systems}
    try:
        ids = {}
        for system in systems:
            system.start()
            t0 = time.monotonic()
            fill(system, args.prefill)
            print(f"{system.name}: {args.prefill} spans stored and settled in {time.monotonic() - t0:.0f}s",
                  flush=True)
            ids[system.name] = stored_ids(system, 500)
            random.Random(7).shuffle(ids[system.name])
        round_no = 0
        for load in loads:
            for repeat in range(args.repeats):
                order = systems if round_no % 2 == 0 else list(reversed(systems))
                for system in order:
                    sb.wait_idle(system)
                    r = round_under_load(system, load, args.seconds, args.query_rate, ids[system.name],
                                         user_base=10_000 + 1_000 * round_no,
                                         probe_base=0xf0000000 + 1_000 * round_no)
                    results[system.name][load].append(r)
                    print(f"  load {load}/s round {repeat + 1} {system.name}: {len(r['by_id'])} lookups, "
                          f"{len(r['search'])} searches ({r['found']} traces), {len(r['fresh'])} probes, "
                          f"{r['acked']} spans acked, {r['cpu_s']:.1f} CPU-s", flush=True)
                round_no += 1
    finally:
        for system in systems:
            if system.proc and system.proc.poll() is None:
                system.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nqueries during ingest, {args.prefill} spans stored before, {args.seconds}s x {args.repeats} "
          f"rounds a load (ms p50 / p99 / worst; ratio = polytrace / {peer.name} p50, p99)")
    rows = {}
    for load in loads:
        merged = {}
        for name in results:
            rs = results[name][load]
            merged[name] = {k: summary([v for r in rs for v in r[k]]) for k in ("by_id", "search", "ack", "fresh")}
            merged[name].update(found=sum(r["found"] for r in rs), spans_read=sum(r["spans_read"] for r in rs),
                                acked=sum(r["acked"] for r in rs), cpu_s=sum(r["cpu_s"] for r in rs),
                                seconds=sum(r["seconds"] for r in rs))
        rows[load] = merged
        p, j = merged["polytrace"], merged[peer.name]
        print(f"\nload {load} spans/s: ingested {p['acked'] / p['seconds']:.0f} / {j['acked'] / j['seconds']:.0f} "
              f"spans/s, server CPU {100 * p['cpu_s'] / p['seconds']:.0f}% / {100 * j['cpu_s'] / j['seconds']:.0f}% "
              f"of a core (polytrace / {peer.name})")
        labels = (("by_id", f"trace by ID (spans read {p['spans_read']} / {j['spans_read']})"),
                  ("search", f"service + new user.id (traces {p['found']} / {j['found']})"),
                  ("ack", "a 3-span trace sent -> its 200"),
                  ("fresh", "a 3-span trace sent -> readable by ID"))
        for key, label in labels:
            cell = lambda s: f"{s['p50']:.1f} / {s['p99']:.1f} / {s['max']:.1f} ({s['n']})"
            print(f"  {label:<48}{cell(p[key]):>30}{cell(j[key]):>30}  "
                  f"{p[key]['p50'] / j[key]['p50']:.2f}, {p[key]['p99'] / j[key]['p99']:.2f}")
    print("result: " + json.dumps({str(k): v for k, v in rows.items()}))


if __name__ == "__main__":
    sys.exit(main())

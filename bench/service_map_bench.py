#!/usr/bin/env python3
"""Whole-store answers (issue #20, item 4): the service map over millions of
spans and the trace analysis of one big trace, timed, with their answers
checked.

Starts polytrace (the embedded store and the query API) on free loopback
ports, sends --spans spans of polytrace-loadgen's `demo` shape (five
services, 8-span traces: gateway calls auth, recommendation and payment,
payment notifies notification through a broker) and one big trace of
--big-spans spans under five services of its own (a root with 2,000
children, dozens of nodes with hundreds, depth up to 17, half of the
cross-service calls answered by a server span, half not), then asks:
  - GET /api/dependencies over the last hour, --repeats times: p50 and max
    wall time, and the answer checked edge by edge (each demo edge counted
    exactly once per demo trace; the big trace's edges exactly as built).
    A sealed segment keeps its share of the map once computed, so these
    askings mostly merge kept shares; then polytrace is restarted on the
    same data and the first asking, which reads every segment, is timed and
    checked too;
  - GET /api/analysis/traces/{big trace}: wall time, and the span count the
    analysis reports checked; then four at once (as the UI's health page
    asks them) while the service list is asked over and over: its latency
    beside them against alone;
  - GET /api/search/tag/http.request.method/values (Tempo's tag values):
    first, again, and first after the restart, each answer checked (GET and
    POST, nothing else).

usage: bench/service_map_bench.py [--spans 10000000] [--big-spans 100000] [--repeats 5]
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from benchlib import LOADGEN, POLYTRACE, free_port, start_ready, store_query_config
BIG_SERVICES = ["big-edge", "big-auth", "big-billing", "big-stock", "big-mail"]




def get(port, path, timeout=120):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read()


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def big_trace(n, seed=20):
    """OTLP/JSON of one trace of about n spans; returns (body, trace id, span
    count, {(parent service, child service): calls})."""
    rng = random.Random(seed)
    trace_id = "%032x" % rng.getrandbits(128)
    now = time.time_ns() - 30 * 10**9
    spans = {s: [] for s in BIG_SERVICES}
    edges = {}

    def span(service, parent, kind, name):
        sid = "%016x" % rng.getrandbits(64)
        start = now + rng.randint(1000, 10**9)
        s = {"traceId": trace_id, "spanId": sid, "name": name, "kind": kind,
             "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + rng.randint(1000, 10**8)),
             "attributes": [{"key": "user.id", "value": {"stringValue": "user-%d" % rng.randint(0, 999)}},
                            {"key": "item", "value": {"intValue": str(rng.randint(0, 10**6))}}]}
        if parent:
            s["parentSpanId"] = parent
        spans[service].append(s)
        return sid

    root = span(BIG_SERVICES[0], None, 2, "GET /batch")
    parents = [(root, BIG_SERVICES[0], 0)]
    count = 1
    while count < n:
        if count < 2000:
            pid, psvc, depth = parents[0]
        elif rng.random() < 0.3:
            pid, psvc, depth = rng.choice(parents[:50])
        else:
            pid, psvc, depth = rng.choice(parents)
        if rng.random() < 0.5 and depth < 16:
            callee = rng.choice([s for s in BIG_SERVICES[1:] if s != psvc])
            client = span(psvc, pid, 3, "call " + callee)
            count += 1
            if rng.random() < 0.5:  # answered: a server span in the callee
                server = span(callee, client, 2, "serve")
                count += 1
                edges[(psvc, callee)] = edges.get((psvc, callee), 0) + 1
                parents.append((server, callee, depth + 1))
            continue
        child = span(psvc, pid, 1, "work %d" % (count % 37))
        count += 1
        parents.append((child, psvc, depth + 1))
    body = {"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": s}}]},
         "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans[s]}]} for s in BIG_SERVICES]}
    return json.dumps(body).encode(), trace_id, count, edges


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--big-spans", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="service-map-bench-"))
    http, query, metrics = free_port(), free_port(), free_port()
    config = store_query_config(
        work, f'http: {{endpoint: "127.0.0.1:{http}", max_request_body_size: 1073741824}}',
        query, metrics)
    log = open(work / "polytrace.log", "w")
    proc = start_ready(config, metrics, log, timeout=60)
    try:
        subprocess.run([str(LOADGEN), "--protocol", "http", "--endpoint", f"127.0.0.1:{http}",
                        "--shape", "demo", "--unique", "--spans-per-request", "1000",
                        "--total-spans", str(args.spans), "--workers", "2"],
                       check=True, capture_output=True)
        body, trace_id, big_count, big_edges = big_trace(args.big_spans)
        req = urllib.request.Request(f"http://127.0.0.1:{http}/v1/traces", data=body,
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=120).read()
        demo_traces = args.spans // 8
        expected = {("gateway", "auth"): demo_traces, ("gateway", "recommendation"): demo_traces,
                    ("gateway", "payment"): demo_traces, ("payment", "notification"): demo_traces}
        expected.update(big_edges)

        def dependencies():
            end_ms = int(time.time() * 1000) + 60_000
            t0 = time.perf_counter()
            raw = get(query, f"/api/dependencies?endTs={end_ms}&lookback=3600000")
            return (time.perf_counter() - t0) * 1000, json.loads(raw)["data"]

        def complete():  # every span acknowledged is counted
            _, links = dependencies()
            got = {(l["parent"], l["child"]): l["callCount"] for l in links}
            return got == expected
        try:
            wait_until(complete, 120, "the service map to count every call")
        except RuntimeError:
            _, links = dependencies()
            got = {(l["parent"], l["child"]): l["callCount"] for l in links}
            diff = {k: (got.get(k), expected.get(k)) for k in set(got) | set(expected)
                    if got.get(k) != expected.get(k)}
            raise RuntimeError(f"the service map differs from what was sent (got, expected): {diff}")
        times = []
        for _ in range(args.repeats):
            ms, links = dependencies()
            got = {(l["parent"], l["child"]): l["callCount"] for l in links}
            assert got == expected, f"service map differs: {got} vs {expected}"
            times.append(ms)
        times.sort()

        def analyse():
            t0 = time.perf_counter()
            analysis = json.loads(get(query, f"/api/analysis/traces/{trace_id}"))
            ms = (time.perf_counter() - t0) * 1000
            assert analysis["spans"] == big_count, f"analysis saw {analysis['spans']} of {big_count} spans"
            return ms, analysis
        analysis_ms, analysis = analyse()

        # The UI's health page asks four analyses at once: a quick lookup
        # (the service list, checked) asked meanwhile must not wait for them.
        def services():
            t0 = time.perf_counter()
            names = json.loads(get(query, "/api/services"))["data"]
            assert "gateway" in names and "big-auth" in names, f"services: {names}"
            return (time.perf_counter() - t0) * 1000
        alone = sorted(services() for _ in range(20))
        analysed = []  # each analysis checks its span count; a failed one is missing here
        slow = [threading.Thread(target=lambda: analysed.append(analyse()[0])) for _ in range(4)]
        for t in slow:
            t.start()
        beside = []
        while any(t.is_alive() for t in slow):
            beside.append(services())
            time.sleep(0.01)
        for t in slow:
            t.join()
        assert len(analysed) == 4, "an analysis asked beside the others failed"
        beside.sort()

        # Tempo's tag values (Grafana's autocomplete) read the same store: the
        # demo spans' http.request.method is GET or POST, nothing else.
        def tag_values():
            t0 = time.perf_counter()
            raw = get(query, "/api/search/tag/http.request.method/values")
            ms = (time.perf_counter() - t0) * 1000
            values = json.loads(raw)["tagValues"]
            assert values == ["GET", "POST"], f"tag values: {values}"
            return ms, len(values)
        tag_first_ms, tag_count = tag_values()
        tag_again_ms, _ = tag_values()
        # After a restart nothing is kept: the first asking reads the segments
        # the store's background count (started with it) has not reached yet.
        proc.terminate()
        proc.wait(60)
        proc = start_ready(config, metrics, log)
        first_ms, links = dependencies()
        got = {(l["parent"], l["child"]): l["callCount"] for l in links}
        assert got == expected, f"service map after a restart differs: {got} vs {expected}"
        restarted_analysis_ms, _ = analyse()
        tag_restarted_ms, _ = tag_values()
        stats = json.loads(subprocess.run([str(POLYTRACE), "store", "stats", f"{work}/data", "--json"],
                                          capture_output=True, text=True).stdout or "{}")
        result = {"spans": args.spans + big_count, "segments": stats.get("segments"),
                  "edges": len(expected), "calls": sum(expected.values()),
                  "service_map_p50_ms": times[len(times) // 2], "service_map_max_ms": times[-1],
                  "service_map_first_after_restart_ms": first_ms,
                  "big_trace_spans": big_count,
                  "unanswered_calls": analysis.get("unansweredCallsTotal", len(analysis.get("unansweredCalls", []))),
                  "analysis_ms": analysis_ms, "analysis_after_restart_ms": restarted_analysis_ms,
                  "services_alone_p50_ms": alone[len(alone) // 2],
                  "services_beside_4_analyses_p50_ms": beside[len(beside) // 2],
                  "services_beside_4_analyses_max_ms": beside[-1],
                  "services_beside_4_analyses_askings": len(beside),
                  "tag_values": tag_count, "tag_values_first_ms": tag_first_ms,
                  "tag_values_again_ms": tag_again_ms,
                  "tag_values_after_restart_ms": tag_restarted_ms}
        print(f"service map over {result['spans']:,} spans ({result['segments']} segments): "
              f"p50 {result['service_map_p50_ms']:.0f} ms, max {result['service_map_max_ms']:.0f} ms "
              f"over {args.repeats} askings; {result['edges']} edges, {result['calls']:,} calls, "
              "each as expected")
        print(f"first asking right after a restart: {first_ms:.0f} ms, as expected")
        print(f"analysis of one {big_count:,}-span trace ({result['unanswered_calls']} unanswered "
              f"calls): {analysis_ms:.0f} ms; right after the restart {restarted_analysis_ms:.0f} ms")
        print(f"service list while four analyses run: p50 {result['services_beside_4_analyses_p50_ms']:.1f} "
              f"ms, max {beside[-1]:.1f} ms over {len(beside)} askings (alone: p50 "
              f"{result['services_alone_p50_ms']:.1f} ms; ratio {beside[len(beside) // 2] / alone[len(alone) // 2]:.1f})")
        print(f"tag values of http.request.method ({tag_count} values, as expected): first "
              f"{tag_first_ms:.0f} ms, again {tag_again_ms:.0f} ms, first after the restart "
              f"{tag_restarted_ms:.0f} ms")
        print(json.dumps(result))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    sys.exit(main())

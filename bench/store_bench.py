#!/usr/bin/env python3
"""Store benchmark: polytrace's embedded store against Jaeger v2 with Badger
(built by scripts/build-jaeger.sh), in the same run, under the same load.

Each system runs otlp (gRPC) -> batch -> its store. The load is
polytrace-loadgen's `demo` shape (the seed's five services, ~10 attributes,
events, 2% errors) with distinct IDs and current timestamps. Printed per
system, with the polytrace/jaeger ratio:
  - ingest: spans per CPU-second of the server process (utime+stime), wall rate
  - peak RSS while ingesting
  - bytes per span on disk (polytrace: after its compaction of the open
    window, and after the final merge the window gets once closed, run by
    `polytrace store compact` on the stopped store, with its CPU; Badger as
    it lies)
  Queries run twice: fresh (right after ingest) and after a restart, once
  each server is idle (polytrace: after compaction settled), so they read
  stored data, not memory.
  - trace by ID latency (p50/p99 over --lookups traces, Jaeger API on both),
    timed by this script's Python client and by curl (its time_total: the
    Python client adds ~0.15-0.2 ms of its own to every request)
  - searches that match many, few and no traces (JAEGER_SEARCHES, the same
    Jaeger API request to both; TRACEQL_SEARCHES on polytrace), p50/p99 and
    how many traces each returned
  - polytrace only (Jaeger has no such query): back-links to a trace over
    the whole store, p50/p99; and the cost of semconv_aliases: each search
    on a key with an equivalent in the other semantic-conventions generation
    (http.response.status_code / http.status_code) asked, interleaved, of the
    default query server and of one with exact keys only, on the same store

  Last, side by side: both stores restarted and up at once, trace by ID (on
  a new connection each, and on one kept-alive connection per system, as a
  browser asks; by Python and by curl) and the user-ID searches asked of one
  and then the other,
  alternately (the
  phases above measure the two systems minutes apart, and this machine is
  shared: its drift fell on one system's phase and not the other's).
  Each server is pinned to one core (SERVER_CORE) and this script, the load
  generator and the CLI to the other (CLIENT_CORE), as the issue measured
  ("each system alone on one core"): the client's work does not share the
  server's core, and neither system answers with more cores than the other.

usage: bench/store_bench.py [--spans 1000000] [--lookups 500] [--searches 30]
"""
import argparse
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import JAEGER_CONFIG, STORE_INTAKE  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLYTRACE = ROOT / "build" / "release" / "src" / "polytrace"
LOADGEN = ROOT / "build" / "release" / "bench" / "loadgen" / "polytrace-loadgen"
SERVER_CORE, CLIENT_CORE = 1, 0
TICK = os.sysconf("SC_CLK_TCK")

POLYTRACE_CONFIG = STORE_INTAKE + """
exporters:
  polytrace_store:
    directory: "{data}"
    fsync: interval
    compaction: {{interval: 1s}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
  # The same store, searched by exact keys only: the cost of semconv_aliases
  # (a key also looked up under the other semantic-conventions generation).
  polytrace_query/exact: {{endpoint: "127.0.0.1:{query_exact}", semconv_aliases: false}}
service:
  extensions: [polytrace_query, polytrace_query/exact]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0


def disk_bytes(path):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file())


def get(port, path, timeout=60):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read()


def curl_lookups(port, ids, kept=False):
    """Each trace of `ids` asked by ID, by one curl run, with curl's own
    figure per transfer (time_total: from connecting to the last byte) and
    what came back (every answer a 200 holding a trace). On a new connection
    each (Connection: close), or with `kept` on one kept-alive connection.
    What the server takes without this script's Python HTTP client, which
    adds ~0.15-0.2 ms of its own to every request of either system."""
    config = "".join(f'url = "http://127.0.0.1:{port}/api/traces/{t}"\noutput = "/dev/null"\n' for t in ids)
    cmd = ["curl", "-s", "-K", "-", "-w", "%{http_code} %{size_download} %{time_total}\\n"]
    if not kept:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(cmd, input=config, capture_output=True, text=True, check=True).stdout.split()
    codes, sizes, totals = out[0::3], [int(x) for x in out[1::3]], [float(x) * 1000 for x in out[2::3]]
    assert len(totals) == len(ids) and set(codes) == {"200"} and min(sizes) > 100, \
        f"curl lookups: {len(totals)} of {len(ids)} answered, codes {set(codes)}, smallest {min(sizes, default=0)} B"
    return totals, sum(sizes)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class System:
    def __init__(self, name, binary, config, workdir):
        self.name, self.workdir = name, workdir
        self.ports = {"grpc": free_port(), "http": free_port(), "query": free_port(), "query_grpc": free_port(),
                      "metrics": free_port(), "query_exact": free_port()}
        self.data = workdir / f"{name}-data"
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        self.config = workdir / f"{name}.yaml"
        self.config.write_text(config.format(data=self.data, **self.ports))
        self.binary = binary
        self.proc = None

    def start(self):
        log = open(self.workdir / f"{self.name}.log", "a")
        pin = ["taskset", "-c", str(SERVER_CORE)] if (os.cpu_count() or 1) > 1 else []
        self.proc = subprocess.Popen(pin + [str(self.binary), "--config", str(self.config)],
                                     stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.ports["grpc"], self.proc)
        wait_port(self.ports["query"], self.proc)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)


def ingest(system, spans):
    pid = system.proc.pid
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    out = subprocess.run([str(LOADGEN), "--protocol", "grpc", "--endpoint", f"127.0.0.1:{system.ports['grpc']}",
                          "--shape", "demo", "--unique", "--spans-per-request", "1000",
                          "--total-spans", str(spans), "--workers", "2"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    wall = time.monotonic() - t0
    # The server may still be writing what it acknowledged (Jaeger queues):
    # count its CPU until it has been idle for a second.
    wait_idle(system)
    cpu = cpu_seconds(pid) - cpu0
    return {"acked": result["acked_spans"], "cpu_s": cpu, "spans_per_cpu_s": result["acked_spans"] / cpu,
            "wall_spans_per_s": result["acked_spans"] / wall, "peak_rss_mib": peak_rss_mib(pid)}


# Needle traces planted after the load: a rare route and a rare user that
# only they carry, so a search for them must look at the whole store and
# return exactly these.
NEEDLE_ROUTE = "GET /api/admin/export"
NEEDLE_USER = "vip-4711"


def plant_needles(system, count):
    now = time.time_ns()
    spans = []
    for i in range(count):
        trace_id = f"{0xfeed0000 + i:08x}" + "ab" * 12
        spans.append({"traceId": trace_id, "spanId": f"{i + 1:016x}", "name": NEEDLE_ROUTE, "kind": 2,
                      "startTimeUnixNano": str(now - 50_000_000 + i), "endTimeUnixNano": str(now + i),
                      "attributes": [{"key": "http.route", "value": {"stringValue": NEEDLE_ROUTE}},
                                     {"key": "user.id", "value": {"stringValue": NEEDLE_USER}},
                                     {"key": "http.response.status_code", "value": {"intValue": "200"}}]})
    body = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "gateway"}}]},
        "scopeSpans": [{"scope": {"name": "needles"}, "spans": spans}]}]}
    request = urllib.request.Request(f"http://127.0.0.1:{system.ports['http']}/v1/traces",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200, f"{system.name}: planting needles: HTTP {r.status}"


def wait_needles(system, count, timeout=120):
    """Until a search finds every needle (Jaeger indexes asynchronously)."""
    deadline = time.monotonic() + timeout
    path = "/api/traces?service=gateway&limit=100&lookback=1h&tags=" + jaeger_tags({"http.route": NEEDLE_ROUTE})
    while time.monotonic() < deadline:
        if len(json.loads(get(system.ports["query"], path))["data"]) == count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{system.name}: the {count} needles are not searchable after {timeout}s")


def wait_searchable(system, spans, timeout=120):
    """Until a search sees traces (both stores index asynchronously at some level)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = json.loads(get(system.ports["query"], "/api/traces?service=gateway&limit=5&lookback=1h"))
        if body.get("data"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{system.name}: nothing searchable after {timeout}s")


def jaeger_tags(tags):
    return urllib.parse.quote(json.dumps(tags))


# Searches asked of both systems through the Jaeger API (limit 20, the last
# hour), named by how much they match: "many" (more than the limit), "few"
# (a handful of traces in the whole store) and "none". Each reports how many
# traces it returned: a search that got fast by returning nothing is a bug.
JAEGER_SEARCHES = [
    ("service", "service=gateway"),
    ("service + operation", "service=gateway&operation=" + urllib.parse.quote("GET /api/checkout")),
    ("service + minDuration", "service=payment&minDuration=30ms"),
    ("service + tag, many", "service=payment&tags=" + jaeger_tags({"http.response.status_code": "500"})),
    ("service + tag + minDuration, many",
     "service=payment&minDuration=1ms&tags=" + jaeger_tags({"http.response.status_code": "500"})),
    ("service + tag, few", "service=gateway&tags=" + jaeger_tags({"user.id": "user-17"})),
    # A different user at each asking: every asking is a first one, for both
    # systems (asking user-17 again and again measures warm caches after the
    # first). Traces returned: the sum over the askings.
    ("service + tag, few, a new user each asking",
     lambda i: "service=gateway&tags=" + jaeger_tags({"user.id": f"user-{i}"})),
    ("service + tag, needles (rare route)", "service=gateway&tags=" + jaeger_tags({"http.route": NEEDLE_ROUTE})),
    ("service + tag, needles (rare user)", "service=gateway&tags=" + jaeger_tags({"user.id": NEEDLE_USER})),
    ("service + tag, none", "service=gateway&tags=" + jaeger_tags({"http.route": "/nowhere"})),
    # Common in the store (payment's declined charges) but on no gateway span.
    ("service + tag, none on this service",
     "service=gateway&tags=" + jaeger_tags({"http.response.status_code": "500"})),
    ("service + event field, many", "service=payment&tags=" + jaeger_tags({"exception.type": "PaymentDeclined"})),
]

# TraceQL through the Tempo API (polytrace only: Jaeger has none).
TRACEQL_SEARCHES = [
    ("TraceQL status_code = 500, many", '{ span.http.response.status_code = 500 }'),
    ("TraceQL user.id, few", '{ span.user.id = "user-17" }'),
    ("TraceQL user.id, few, a new user each asking", lambda i: '{ span.user.id = "user-%d" }' % i),
    ("TraceQL route, none", '{ span.http.route = "/nowhere" }'),
    ("TraceQL service && status_code = 500, none on this service",
     '{ resource.service.name = "gateway" && span.http.response.status_code = 500 }'),
    ("TraceQL needles (rare route)", '{ span.http.route = "%s" }' % NEEDLE_ROUTE),
    ("TraceQL needles (rare user)", '{ span.user.id = "%s" }' % NEEDLE_USER),
    ("TraceQL service && db route, many",
     '{ resource.service.name = "payment" && span.http.route = "POST /charge" }'),
]


def timed_search(port, path, searches, count, expect=None, first_user=1000):
    """`path`: a string, or a function of a user number giving one (a new
    user at each asking, numbered from `first_user`; `found` is then the
    sum over the askings)."""
    times, found, total = [], 0, 0
    for i in range(searches):
        p = path(first_user + i) if callable(path) else path
        t0 = time.perf_counter()
        body = get(port, p)  # the whole answer, as a client receives it; parsed outside the clock
        times.append((time.perf_counter() - t0) * 1000)
        found = count(json.loads(body))
        total += found
        assert expect is None or found == expect, f"{p}: {found} traces, expected {expect}"
    # The first asking is the coldest (nothing of it in either system's caches
    # yet, e.g. polytrace's per-thread decompressed row groups): reported too.
    return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
            "found": total if callable(path) else found, "first_ms": times[0]}


def expected(name, needles):
    """What a search must return, where the data says: the needles, all of
    them; nothing for a value nobody has; a full page for common values."""
    if "needles" in name:
        return min(needles, 20)
    if "none" in name:
        return 0
    if "many" in name:
        return 20
    return None


def query_latencies(system, lookups, searches, needles, phase):
    """`phase` 0 (fresh) or 1 (restarted): the users asked one per asking
    differ between phases and between the two APIs."""
    port = system.ports["query"]
    body = json.loads(get(port, f"/api/traces?service=gateway&limit={lookups}&lookback=1h"))
    ids = [t["traceID"] for t in body["data"]]
    by_id = []
    for trace_id in ids:
        t0 = time.perf_counter()
        body = get(port, f"/api/traces/{trace_id}")
        by_id.append((time.perf_counter() - t0) * 1000)
        trace = json.loads(body)
        assert trace["data"] and trace["data"][0]["spans"], f"{system.name}: empty trace {trace_id}"
    curl, curl_bytes = curl_lookups(port, ids)
    result = {"lookups": len(ids), "by_id_p50_ms": percentile(by_id, 50), "by_id_p99_ms": percentile(by_id, 99),
              "by_id_curl_p50_ms": percentile(curl, 50), "by_id_curl_p99_ms": percentile(curl, 99),
              "by_id_curl_bytes": curl_bytes, "searches": {}}
    for name, query in JAEGER_SEARCHES:
        path = (lambda i, q=query: f"/api/traces?{q(i)}&lookback=1h&limit=20") if callable(query) else \
            f"/api/traces?{query}&lookback=1h&limit=20"
        result["searches"][name] = timed_search(port, path, searches, lambda body: len(body["data"]),
                                                expected(name, needles), first_user=1000 + 1000 * phase)
    main = result["searches"]["service + tag + minDuration, many"]
    result.update(search_p50_ms=main["p50_ms"], search_p99_ms=main["p99_ms"], search_found=main["found"])
    if system.name == "polytrace":
        for name, q in TRACEQL_SEARCHES:
            path = (lambda i, q=q: "/api/search?limit=20&q=" + urllib.parse.quote(q(i))) if callable(q) else \
                "/api/search?limit=20&q=" + urllib.parse.quote(q)
            result["searches"][name] = timed_search(port, path, searches, lambda body: len(body["traces"]),
                                                    expected(name, needles), first_user=3000 + 1000 * phase)
        # Back-links (Jaeger has none): who links to a trace, over the whole
        # store. The load has no links, so every row group's extras are
        # looked at: the worst case.
        backlinks = []
        for trace_id in ids[:searches]:
            t0 = time.perf_counter()
            raw = get(port, f"/api/backlinks/traces/{trace_id}")
            backlinks.append((time.perf_counter() - t0) * 1000)
            body = json.loads(raw)
            assert body["data"] == [], f"unexpected back-links to {trace_id}: {body}"
        result.update(backlinks_p50_ms=percentile(backlinks, 50), backlinks_p99_ms=percentile(backlinks, 99))
        result["aliases"] = alias_cost(system, searches)
    return result


def alias_cost(system, searches):
    """Aliased vs exact-key latency of the searches on an aliased key,
    interleaved one by one so that both see the same machine."""
    out = {}
    aliased = [(n, f"/api/traces?{q}&lookback=1h&limit=20", lambda b: len(b["data"]))
               for n, q in JAEGER_SEARCHES if isinstance(q, str) and "status_code" in q]
    aliased += [(n, "/api/search?limit=20&q=" + urllib.parse.quote(q), lambda b: len(b["traces"]))
                for n, q in TRACEQL_SEARCHES if isinstance(q, str) and "status_code" in q]
    for name, path, count in aliased:
        times = {"query": [], "query_exact": []}
        found = {}
        for _ in range(searches):
            for port in times:
                t0 = time.perf_counter()
                body = get(system.ports[port], path)
                times[port].append((time.perf_counter() - t0) * 1000)
                found[port] = count(json.loads(body))
        assert found["query"] == found["query_exact"], f"{name}: aliases changed the answer {found}"
        out[name] = {k: {"p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99)} for k, v in times.items()}
        out[name]["found"] = found["query"]
    return out


def wait_compacted(system, timeout=300):
    """polytrace: until compaction has nothing left to do (the segment count
    stays the same for 3 seconds)."""
    deadline = time.monotonic() + timeout
    history = []
    while time.monotonic() < deadline:
        out = subprocess.run([str(POLYTRACE), "store", "stats", str(system.data), "--json"],
                             capture_output=True, text=True)
        history.append(json.loads(out.stdout)["segments"])
        if len(history) >= 4 and len(set(history[-4:])) == 1:
            return
        time.sleep(1.0)
    raise RuntimeError("compaction did not settle")


def wait_idle(system):
    """Until the server used under 5% of a core for 3 seconds in a row
    (background work such as compaction, which runs every second, is done)."""
    last, quiet = cpu_seconds(system.proc.pid), 0
    while quiet < 3:
        time.sleep(1.0)
        now = cpu_seconds(system.proc.pid)
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now


def run(system, args):
    system.start()
    result = ingest(system, args.spans)
    plant_needles(system, args.needles)
    wait_needles(system, args.needles)
    # Fresh: as ingest left it (polytrace: heads in memory and the segments
    # sealed so far, before compaction has merged them).
    wait_searchable(system, args.spans)
    result["fresh"] = query_latencies(system, args.lookups, args.searches, args.needles, 0)
    # After a restart: the stored data, settled and reopened; no lookup is
    # answered from memory that a restart would lose.
    system.stop()
    system.start()
    wait_searchable(system, args.spans)
    if system.name == "polytrace":
        wait_compacted(system)
    wait_idle(system)
    result.update(query_latencies(system, args.lookups, args.searches, args.needles, 1))
    system.stop()
    result["disk_bytes"] = disk_bytes(system.data)
    result["bytes_per_span"] = result["disk_bytes"] / result["acked"]
    return result


def final_merge(system, args, result):
    if system.name == "polytrace" and args.keep:
        # The store as the restarted queries found it, to profile them on;
        # the final merge below changes it.
        shutil.copytree(system.data, system.data.parent / "polytrace-data-restarted")
    if system.name == "polytrace":
        # The window is still open (1 h): what it becomes once closed is the
        # final merge, which `store compact` runs now, on the stopped store.
        out = subprocess.run([str(POLYTRACE), "store", "compact", str(system.data), "--json",
                              "--zstd-level", str(args.zstd_level)],
                             capture_output=True, text=True, check=True)
        final = json.loads(out.stdout)
        result["final_merge_cpu_s"] = final["cpuSeconds"]
        result["final_disk_bytes"] = disk_bytes(system.data)
        result["final_bytes_per_span"] = result["final_disk_bytes"] / result["acked"]


# Asked of both systems at once, alternately (below): what decides the issue's
# ratios, so that both see the same machine from one asking to the next.
SIDE_BY_SIDE = [
    ("trace by ID", None),
    # The same lookups on one kept-alive connection per system, as a browser asks (the UI, Grafana):
    # a new connection each costs both systems ~0.3 ms of this client's time.
    ("trace by ID, a connection kept", "keepalive"),
    # The same lookups timed by curl (time_total), without this script's Python HTTP client, in runs of
    # 10 per system, the systems taking turns going first.
    ("trace by ID, curl's time", "curl"),
    ("trace by ID, curl's time, a connection kept", "curl-kept"),
    ("service + tag, few", "service=gateway&tags=" + jaeger_tags({"user.id": "user-17"})),
    ("service + tag, few, a new user each asking",
     lambda i: "service=gateway&tags=" + jaeger_tags({"user.id": f"user-{i}"})),
    ("service + tag, many", "service=payment&tags=" + jaeger_tags({"http.response.status_code": "500"})),
    ("service + tag, none", "service=gateway&tags=" + jaeger_tags({"http.route": "/nowhere"})),
    # No search at all: what any request costs this client (a new connection
    # each), the floor under every figure above ("found": the services).
    ("a request alone: /api/services", "/api/services"),
]


def side_by_side(systems, args):
    """Both stores restarted and up at once (each pinned to SERVER_CORE, idle
    but when asked), every asking put to one and then the other, who goes
    first alternating: the machine's drift (it is shared) falls on both
    alike, where the phases above measure the two minutes apart. Users of
    the new-user search are ones no phase above asked."""
    for system in systems:
        system.start()
        wait_searchable(system, args.spans)
        if system.name == "polytrace":
            wait_compacted(system)
    for system in systems:
        wait_idle(system)
    out = {s.name: {} for s in systems}
    ids = {}
    for system in systems:
        body = json.loads(get(system.ports["query"],
                              f"/api/traces?service=gateway&limit={args.lookups}&lookback=1h"))
        ids[system.name] = [t["traceID"] for t in body["data"]]
    n_ids = min(len(v) for v in ids.values())
    kept = {s.name: http.client.HTTPConnection("127.0.0.1", s.ports["query"], timeout=60) for s in systems}
    for name, query in SIDE_BY_SIDE:
        times = {s.name: [] for s in systems}
        found = {s.name: 0 for s in systems}
        by_id = query is None or query == "keepalive"
        askings = n_ids if by_id or query in ("curl", "curl-kept") else args.searches * 2
        for start in range(0, askings if query in ("curl", "curl-kept") else 0, 10):
            for system in systems if start // 10 % 2 == 0 else list(reversed(systems)):
                t, _ = curl_lookups(system.ports["query"], ids[system.name][start:start + 10],
                                    kept=query == "curl-kept")
                times[system.name] += t
                found[system.name] += len(t)
        for i in range(0 if query in ("curl", "curl-kept") else askings):
            order = systems if i % 2 == 0 else list(reversed(systems))
            for system in order:
                if by_id:
                    path = f"/api/traces/{ids[system.name][i]}"
                else:
                    q = query(5000 + i) if callable(query) else query
                    path = q if q.startswith("/") else f"/api/traces?{q}&lookback=1h&limit=20"
                t0 = time.perf_counter()
                if query == "keepalive":
                    kept[system.name].request("GET", path)
                    body = kept[system.name].getresponse().read()
                else:
                    body = get(system.ports["query"], path)
                times[system.name].append((time.perf_counter() - t0) * 1000)
                n = len(json.loads(body)["data"])
                found[system.name] = found[system.name] + n if callable(query) or by_id else n
        for system in systems:
            out[system.name][name] = {"p50_ms": percentile(times[system.name], 50),
                                      "p99_ms": percentile(times[system.name], 99),
                                      "found": found[system.name], "askings": askings}
    for system in systems:
        system.stop()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--searches", type=int, default=30)
    parser.add_argument("--needles", type=int, default=5,
                        help="traces planted with a rare route and user that searches must find, all of them")
    parser.add_argument("--only", choices=["polytrace", "jaeger"])
    parser.add_argument("--zstd-level", type=int, default=6,
                        help="zstd level of polytrace's final merge (store compact)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the stores and configs (printed at the end) to profile queries on them; "
                             "polytrace's as the restarted queries found it in polytrace-data-restarted")
    args = parser.parse_args()
    # Children (the load generator, the CLI) inherit this; servers are pinned apart.
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {CLIENT_CORE})
    jaeger = subprocess.run([str(ROOT / "scripts" / "build-jaeger.sh")], capture_output=True, text=True,
                            check=True).stdout.strip()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="store-bench-"))
    results, systems = {}, []
    for name, binary, config in (("polytrace", POLYTRACE, POLYTRACE_CONFIG), ("jaeger", jaeger, JAEGER_CONFIG)):
        if args.only and args.only != name:
            continue
        system = System(name, binary, config, workdir)
        systems.append(system)
        results[name] = run(system, args)
        print(f"{name}: {json.dumps(results[name])}", flush=True)
    together = side_by_side(systems, args) if len(systems) == 2 else None
    for system in systems:
        final_merge(system, args, results[system.name])
    for phase in ("fresh", "restarted"):
        print(f"\nsearches, {phase} (p50 / p99 ms, traces returned; ratio = polytrace / jaeger p50, p99)")
        p = results.get("polytrace", {})
        j = results.get("jaeger", {})
        p, j = (p.get("fresh", {}), j.get("fresh", {})) if phase == "fresh" else (p, j)
        names = [n for n, _ in JAEGER_SEARCHES] + [n for n, _ in TRACEQL_SEARCHES]
        by_id = lambda r, k: {"p50_ms": r.get(f"by_id{k}_p50_ms"), "p99_ms": r.get(f"by_id{k}_p99_ms"), "found": 1}
        rows = [("trace by ID", by_id(p, ""), by_id(j, "")),
                ("trace by ID, curl's time", by_id(p, "_curl"), by_id(j, "_curl"))]
        rows += [(n, p.get("searches", {}).get(n), j.get("searches", {}).get(n)) for n in names]
        for name, ps, js in rows:
            cell = lambda r: "-" if not r or r["p50_ms"] is None else \
                f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ({r['found']}{', NOTHING' if r['found'] == 0 else ''})"
            ratio = ""
            if ps and js and ps["p50_ms"] is not None and js["p50_ms"]:
                ratio = f"{ps['p50_ms'] / js['p50_ms']:.2f}, {ps['p99_ms'] / js['p99_ms']:.2f}"
            print(f"  {name:<36}{cell(ps):>28}{cell(js):>28}  {ratio}")
        print(f"\nsearches, {phase}, the first asking of each (ms; polytrace / jaeger)")
        for name, ps, js in rows[2:]:
            first = lambda r: "-" if not r or r.get("first_ms") is None else f"{r['first_ms']:.1f}"
            print(f"  {name:<36}{first(ps):>10}{first(js):>10}")
    for phase in ("fresh", "restarted"):
        p = results.get("polytrace", {})
        p = p.get("fresh", {}) if phase == "fresh" else p
        if not p.get("aliases"):
            continue
        print(f"\nsemconv_aliases, {phase}: aliased / exact keys (p50 / p99 ms, traces; ratio p50, p99)")
        for name, r in p["aliases"].items():
            a, e = r["query"], r["query_exact"]
            print(f"  {name:<36}{a['p50_ms']:>8.1f} / {a['p99_ms']:<8.1f}{e['p50_ms']:>8.1f} / {e['p99_ms']:<8.1f}"
                  f"({r['found']})  {a['p50_ms'] / e['p50_ms']:.2f}, {a['p99_ms'] / e['p99_ms']:.2f}")
    if together:
        print(f"\nside by side, restarted, asked alternately (p50 / p99 ms, traces; "
              f"ratio = polytrace / jaeger p50, p99)")
        for name, _ in SIDE_BY_SIDE:
            ps, js = together["polytrace"][name], together["jaeger"][name]
            cell = lambda r: f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f} ({r['found']})"
            print(f"  {name:<44}{cell(ps):>24}{cell(js):>24}  "
                  f"{ps['p50_ms'] / js['p50_ms']:.2f}, {ps['p99_ms'] / js['p99_ms']:.2f}  ({ps['askings']} askings)")
        print(f"side_by_side: {json.dumps(together)}")
    if len(results) == 2:
        p, j = results["polytrace"], results["jaeger"]
        rows = [("ingest spans per CPU-second", "spans_per_cpu_s", True),
                ("ingest wall spans/s (2 loadgen workers)", "wall_spans_per_s", True),
                ("peak RSS MiB", "peak_rss_mib", False),
                ("bytes per span on disk", "bytes_per_span", False)]
        print(f"\n{'figure':<42}{'polytrace':>12}{'jaeger v2':>12}{'ratio':>8}")
        for label, key, higher_better in rows:
            ratio = p[key] / j[key] if j[key] else float("inf")
            print(f"{label:<42}{p[key]:>12.1f}{j[key]:>12.1f}{ratio:>8.2f}  ({'higher' if higher_better else 'lower'} is better)")
    if args.keep:
        print(f"\nkept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Crash safety: polytrace is killed with SIGKILL at random moments while a
client writes; after every restart, each span acknowledged with 200 is in
the store exactly once, and `polytrace store check` finds no damage. The
pipeline is the default one (memory_limiter, batch): batch must not
acknowledge before the store's WAL has the spans."""
import json
import os
import random
import subprocess
import time
import urllib.request

from conftest import Collector, free_port, polytrace_bin, wait_until
from store_load import Sender

KILLS = int(os.environ.get("POLYTRACE_CRASH_KILLS", "20"))

CONFIG = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  memory_limiter: {{check_interval: 1s, limit_percentage: 80, spike_limit_percentage: 25}}
  batch: {{}}
exporters:
  polytrace_store:
    directory: "{data}"
    fsync: {fsync}
    segment: {{max_duration: 300ms, row_group_spans: 64}}
    compaction: {{interval: 200ms}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [memory_limiter, batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
"""


def start(tmp_path, data, ports, fsync):
    text = CONFIG.format(data=data, fsync=fsync, **ports)
    return Collector(polytrace_bin(), text, tmp_path, [ports["http"], ports["query"]])


def stored_span_ids(query_port, trace_id):
    url = f"http://127.0.0.1:{query_port}/api/v2/traces/{trace_id}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            trace = json.loads(r.read())["trace"]
    except urllib.error.HTTPError as e:
        assert e.code == 404, e.read()
        return []
    return [s["spanId"] for rs in trace["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def test_acknowledged_spans_survive_sigkill_exactly_once(tmp_path):
    rng = random.Random(int(os.environ.get("POLYTRACE_CRASH_SEED", time.time_ns())))
    data = tmp_path / "data"
    ports = {"http": free_port(), "query": free_port(), "metrics": free_port()}
    start_nanos = time.time_ns()
    acked = {}
    for kill in range(KILLS):
        collector = start(tmp_path, data, ports, "always" if kill % 2 else "interval")
        sender = Sender(ports["http"], start_nanos)
        sender.start()
        before = 0
        wait_until(lambda: sender.acked_count() > before + 3, 30, "the store to acknowledge requests")
        time.sleep(rng.uniform(0, 0.4))  # a random moment to crash at
        collector.kill()  # SIGKILL: no shutdown, no flush
        sender.stopping.set()
        sender.join(10)
        acked.update(sender.acked)

    collector = start(tmp_path, data, ports, "interval")
    missing, duplicated = [], []
    for trace_id, span_ids in acked.items():
        stored = stored_span_ids(ports["query"], trace_id)
        for span_id in span_ids:
            n = stored.count(span_id)
            if n == 0:
                missing.append(f"{trace_id}/{span_id}")
            elif n > 1:
                duplicated.append(f"{trace_id}/{span_id} x{n}")
    assert not missing, f"{len(missing)} acknowledged spans lost after {KILLS} kills: {missing[:10]}"
    assert not duplicated, f"{len(duplicated)} spans stored more than once: {duplicated[:10]}"
    assert collector.stop() == 0, collector.logs()
    check = subprocess.run([polytrace_bin(), "store", "check", str(data)], capture_output=True, text=True,
                           timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    print(f"{KILLS} kills, {len(acked)} acknowledged traces ({sum(map(len, acked.values()))} spans) all present once")

#!/usr/bin/env python3
"""Hostile-request memory benchmark (issue #12): peak RSS under a mix of the
requests that used to blow memory up, with a memory_limiter configured, for
polytrace and the reference otelcol (scripts/build-otelcol.sh) in one run.

The mix, sent by several clients at once for --duration seconds, each kind
in turn at the largest size under the 20 MiB body limit:
  json-empty-spans   {"resourceSpans":[{"scopeSpans":[{"spans":[{},{},...]}]}]}
  json-empty-attrs   one span with millions of {} attributes
  proto-empty-spans  millions of empty Span messages
  proto-empty-attrs  one span with millions of empty KeyValue messages
  proto-empty-array  an attribute whose array holds millions of empty values
  gzip-bomb          64 MiB of zeros gzipped (refused after decompression)
  deep-values        attributes nested 80 levels (refused by depth)
and one well-behaved client sends realistic 100-span requests throughout
(how many it got accepted is printed: the limiter must not starve it).

With --protocol grpc the same protobuf shapes go to the OTLP/gRPC receiver
(max_recv_msg_size_mib 20, so each is a legal message), from grpcio clients,
with the gzip bomb as a gzip-compressed message, plus `stalled`: raw HTTP/2
calls that announce a 20 MiB message in their 5-byte prefix, send 1 KB of
it and stop (memory the server would hold for each if it trusted them).

Prints, per collector: peak RSS (sampled every 20 ms, and VmHWM), whether it
survived, and the answers per kind; then the polytrace/otelcol peak ratio.
Exits non-zero if polytrace died or its peak passed limit_mib + 64 MiB.

usage: bench/hostile_memory.py [--duration 30] [--limit-mib 256] [--only polytrace]
                               [--protocol http|grpc]
"""
import argparse
import collections
import gzip
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from benchlib import POLYTRACE, ROOT, free_port
BODY_LIMIT = 20 << 20

CONFIG = """
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
      grpc: {{endpoint: "127.0.0.1:{grpc}", max_recv_msg_size_mib: 20}}
processors:
  memory_limiter: {{check_interval: 1s, limit_mib: {limit}, spike_limit_mib: {spike}}}
  batch: {{}}
exporters:
  debug: {{verbosity: basic}}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [memory_limiter, batch], exporters: [debug]}}
  telemetry:
    metrics: {{{metrics}}}
"""




def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    return bytes([number << 3 | 2]) + varint(len(payload)) + payload


def fill(unit, budget):
    return unit * (budget // len(unit))


def hostile_bodies():
    limit = BODY_LIMIT - 4096
    spans_prefix = b'{"resourceSpans":[{"scopeSpans":[{"spans":['
    attrs_prefix = b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":['
    empty_span = field(2, b"")
    nested = field(2, field(3, b"\x08\x01"))  # AnyValue{string}: built up below
    value = b"\x0a\x01x"  # AnyValue.string_value = "x"
    for _ in range(80):
        kv = field(1, b"k") + field(2, value)
        value = field(6, field(1, kv))  # kvlist_value.values[0]
    deep = field(1, field(2, field(2, field(9, field(1, b"a") + field(2, value)))))
    del nested
    return {
        "json-empty-spans": ("application/json", {},
                             spans_prefix + fill(b"{},", limit - 60)[:-1] + b"]}]}]}"),
        "json-empty-attrs": ("application/json", {},
                             attrs_prefix + fill(b"{},", limit - 80)[:-1] + b"]}]}]}]}"),
        "proto-empty-spans": ("application/x-protobuf", {},
                              field(1, field(2, fill(empty_span, limit - 16)))),
        "proto-empty-attrs": ("application/x-protobuf", {},
                              field(1, field(2, field(2, fill(field(9, b""), limit - 32))))),
        "proto-empty-array": ("application/x-protobuf", {},
                              field(1, field(1, field(1, field(1, b"a") + field(
                                  2, field(5, fill(field(1, b""), limit - 48))))))),
        "gzip-bomb": ("application/x-protobuf", {"Content-Encoding": "gzip"},
                      gzip.compress(b"\0" * (64 << 20), compresslevel=9)),
        "deep-values": ("application/x-protobuf", {}, deep),
    }


def realistic_body(seq):
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "good-client"
    scope = rs.scope_spans.add()
    for i in range(100):
        s = scope.spans.add()
        s.trace_id = (seq * 1000 + i // 10 + 1).to_bytes(16, "big")
        s.span_id = (seq * 1000 + i + 1).to_bytes(8, "big")
        s.name = f"GET /api/items/{i % 7}"
        s.start_time_unix_nano = time.time_ns()
        s.end_time_unix_nano = s.start_time_unix_nano + 1_000_000
        for k in range(10):
            a = s.attributes.add()
            a.key, a.value.string_value = f"attr.{k}", f"value-{i}-{k}"
    return req.SerializeToString()


EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

def grpc_call(port, body, headers):
    """One unary Export over gRPC (grpcio): the status code's name."""
    import grpc
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[
        ("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
    try:
        call = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        compression = grpc.Compression.Gzip if headers.get("Content-Encoding") == "gzip" else None
        payload = gzip.decompress(body) if compression else body  # grpcio compresses it again
        call(payload, timeout=60, compression=compression)
        return "OK"
    except grpc.RpcError as e:
        return e.code().name
    finally:
        channel.close()


def stalled_call(port):
    """Announces a 20 MiB message, sends 1 KB of it, waits for the answer."""
    import h2.config
    import h2.connection
    import h2.events
    with socket.create_connection(("127.0.0.1", port), timeout=45) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":path", EXPORT),
                              (":authority", "127.0.0.1"), ("content-type", "application/grpc")])
        conn.send_data(1, b"\0" + (BODY_LIMIT - 1024).to_bytes(4, "big") + b"x" * 1024)
        sock.sendall(conn.data_to_send())
        while True:
            try:
                data = sock.recv(65536)
            except OSError as e:  # a timeout, a reset
                return type(e).__name__
            if not data:
                return "closed (read timeout)"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    return "grpc-status " + dict(event.headers).get(b"grpc-status", b"?").decode()
            sock.sendall(conn.data_to_send())


def post(port, body, content_type, headers):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", body,
                                 {"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
        return type(e).__name__


def rss_kib(pid, key="VmRSS"):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run(name, binary, args, bodies):
    http, grpc_port, metrics = free_port(), free_port(), free_port()
    metrics_cfg = (f'address: "127.0.0.1:{metrics}"' if name == "polytrace" else
                   f'readers: [{{pull: {{exporter: {{prometheus: {{host: "127.0.0.1", port: {metrics}}}}}}}}}]')
    text = CONFIG.format(http=http, grpc=grpc_port, limit=args.limit_mib, spike=args.limit_mib // 5,
                         metrics=metrics_cfg)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"hostile-{name}-"))
    (workdir / "c.yaml").write_text(text)
    log = open(workdir / "log", "w")
    proc = subprocess.Popen([str(binary), "--config", str(workdir / "c.yaml")], stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    for port in (http, grpc_port):
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            v = rss_kib(proc.pid)
            if v:
                peak[0] = max(peak[0], v)
            time.sleep(0.02)

    answers = collections.defaultdict(collections.Counter)
    lock = threading.Lock()
    end = time.monotonic() + args.duration
    kinds = list(bodies)

    def hostile(worker):
        i = worker
        while time.monotonic() < end and proc.poll() is None:
            kind = kinds[i % len(kinds)]
            i += 1
            content_type, headers, body = bodies[kind]
            if kind == "stalled":
                status = stalled_call(grpc_port)
            elif args.protocol == "grpc":
                status = grpc_call(grpc_port, body, headers)
            else:
                status = post(http, body, content_type, headers)
            with lock:
                answers[kind][status] += 1

    def good():
        seq = 0
        while time.monotonic() < end and proc.poll() is None:
            seq += 1
            if args.protocol == "grpc":
                status = grpc_call(grpc_port, realistic_body(seq), {})
                status = 200 if status == "OK" else status
            else:
                status = post(http, realistic_body(seq), "application/x-protobuf", {})
            with lock:
                answers["realistic (good client)"][status] += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=sample)]
    threads += [threading.Thread(target=hostile, args=(w,)) for w in range(args.clients)]
    threads += [threading.Thread(target=good)]
    for t in threads:
        t.start()
    for t in threads[1:]:
        t.join()
    alive = proc.poll() is None
    hwm = rss_kib(proc.pid, "VmHWM") if alive else None
    stop.set()
    threads[0].join()
    if alive:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    peak_mib = max(peak[0], hwm or 0) / 1024
    print(f"\n{name}: alive={alive} peak RSS {peak_mib:.0f} MiB "
          f"(limit_mib {args.limit_mib}; target for polytrace <= {args.limit_mib + 64})")
    for kind in kinds + ["realistic (good client)"]:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(answers[kind].items(), key=str))
        print(f"  {kind:<24} {counts}")
    if not alive:
        print(f"  exit code {proc.returncode}; log: {workdir / 'log'}")
    return peak_mib, alive, answers


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--limit-mib", type=int, default=256)
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--only", choices=["polytrace", "otelcol"], default=None)
    p.add_argument("--otelcol", default=None)
    p.add_argument("--protocol", choices=["http", "grpc"], default="http")
    args = p.parse_args()
    bodies = hostile_bodies()
    if args.protocol == "grpc":
        bodies = {k: v for k, v in bodies.items() if not k.startswith("json-")}
        bodies["stalled"] = ("application/grpc", {}, b"")
    print(f"bodies: " + ", ".join(f"{k} {len(v[2]) / 1e6:.1f} MB" for k, v in bodies.items()))
    results = {}
    if args.only != "otelcol":
        results["polytrace"] = run("polytrace", POLYTRACE, args, bodies)
    if args.only != "polytrace":
        otelcol = args.otelcol or subprocess.check_output(
            [str(ROOT / "scripts" / "build-otelcol.sh")], text=True).strip()
        results["otelcol"] = run("otelcol", otelcol, args, bodies)
    if len(results) == 2:
        ratio = results["polytrace"][0] / results["otelcol"][0]
        print(f"\npeak RSS ratio polytrace/otelcol: {ratio:.2f}")
    if "polytrace" in results:
        peak, alive, answers = results["polytrace"]
        good = answers["realistic (good client)"]
        print(f"polytrace: good client accepted {good[200]} of {sum(good.values())}")
        if not alive or peak > args.limit_mib + 64:
            print("FAIL: polytrace died or passed limit_mib + 64 MiB")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Clients that ask for a big answer and stop reading: how much memory they make the server hold.

One trace of --spans spans (polytrace-loadgen --shape bigtrace, as bench/big_trace_bench.py) is
stored, then --clients connections each send one GET for --path (by default the trace by ID in
Jaeger JSON; `--path '/api/traces?traceID=...'` asks for an answer made whole) over HTTP/--http
and read nothing more (4 KiB receive buffers). For --hold seconds the server's RSS is sampled
(its peak printed); then /api/services is timed (others must still be served), each connection's
status line is read (200: its answer is being sent; 503: refused, the answers' memory budget
spent), and the connections close. --binary compares another build (the peer: the same server
before a change).

    scripts/build.sh release && bench/stalled_readers_bench.py --clients 300 --spans 1000000
"""
import argparse
import pathlib
import socket
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import big_trace_bench as big  # noqa: E402
from benchlib import LOADGEN, POLYTRACE, status_kib  # noqa: E402


def run(binary, args, workdir):
    system = big.System("polytrace", pathlib.Path(binary), big.POLYTRACE_CONFIG, workdir)
    system.start()
    subprocess.run([str(LOADGEN), "--protocol", "grpc", "--endpoint",
                    f"127.0.0.1:{system.ports['grpc']}", "--shape", "bigtrace", "--unique",
                    "--spans-per-request", "1000", "--total-spans", str(args.spans), "--workers", "2"],
                   check=True, capture_output=True)
    system.wait_idle()
    pid = system.proc.pid
    before = status_kib(pid, "VmRSS") // 1024
    clients = []
    for _ in range(args.clients):
        c = socket.create_connection(("127.0.0.1", system.ports["query"]), timeout=30)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sendall(f"GET {args.path} HTTP/{args.http}\r\nHost: 127.0.0.1\r\n\r\n".encode())
        clients.append(c)
    peak, end = before, time.monotonic() + args.hold
    while time.monotonic() < end and system.proc.poll() is None:
        peak = max(peak, status_kib(pid, "VmRSS") // 1024)
        time.sleep(0.25)
    alive = system.proc.poll() is None
    t0 = time.monotonic()
    services = big.download(system.ports["query"], "/api/services", "application/json",
                            workdir / "services.json")[0] if alive else "-"
    services_s = time.monotonic() - t0
    codes = {}
    for c in clients:
        try:
            code = c.recv(64).split(b" ")[1].decode()
        except (OSError, IndexError):
            code = "none"
        codes[code] = codes.get(code, 0) + 1
        c.close()
    if alive:
        system.stop()
    return {"rss_before_mib": before, "peak_rss_mib": peak, "alive": alive,
            "services_status": services, "services_s": round(services_s, 3), "status_lines": codes}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=300)
    p.add_argument("--spans", type=int, default=1_000_000)
    p.add_argument("--path", default=f"/api/traces/{big.TRACE_ID}")
    p.add_argument("--http", default="1.1", choices=("1.0", "1.1"))
    p.add_argument("--hold", type=float, default=40)
    p.add_argument("--binary", default=None, help="another build to run the same way (the peer)")
    args = p.parse_args()
    runs = [("polytrace", POLYTRACE)] + ([("peer", args.binary)] if args.binary else [])
    for name, binary in runs:
        with __import__("tempfile").TemporaryDirectory() as d:
            r = run(binary, args, pathlib.Path(d))
        print(f"{name}: {args.clients} clients stalled on {args.path} (HTTP/{args.http}, "
              f"{args.spans} spans): {r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

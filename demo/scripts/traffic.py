#!/usr/bin/env python3
"""Sends checkouts to the demo's api-gateway and prints each one's trace id (stdlib only).

  traffic.py --count 20          # 20 checkouts, as fast as they complete
  traffic.py --rate 1            # one per second until Ctrl-C
  traffic.py --count 50 --rate 5

Users are mostly known ones (alice..erin) with a few unknown (-> 401); amounts are mostly small
with a few above 1000 (-> the card is declined, 402), so errors show up in the traces too.
"""
import argparse
import json
import random
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

KNOWN_USERS = ["alice", "bob", "carol", "dave", "erin"]
UNKNOWN_USERS = ["mallory", "trent", "oscar"]


def pick(rng, unknown_ratio, decline_ratio):
    user = rng.choice(UNKNOWN_USERS) if rng.random() < unknown_ratio else rng.choice(KNOWN_USERS)
    if rng.random() < decline_ratio:
        amount = round(rng.uniform(1000.01, 5000), 2)  # above the card limit: declined
    else:
        amount = round(rng.uniform(5, 500), 2)
    return user, amount


def checkout(base_url, user, amount, timeout):
    """Returns (HTTP status, parsed JSON body or None)."""
    url = f"{base_url}/checkout?" + urllib.parse.urlencode({"user": user, "amount": amount})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:  # 401, 402, 5xx still carry a JSON body with trace_id
        try:
            return e.code, json.loads(e.read() or b"null")
        except ValueError:
            return e.code, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="api-gateway base URL")
    ap.add_argument("--count", type=int, help="number of checkouts (default: forever)")
    ap.add_argument("--rate", type=float, help="checkouts per second (default: back to back)")
    ap.add_argument("--unknown-ratio", type=float, default=0.1, help="share of unknown users (401)")
    ap.add_argument("--decline-ratio", type=float, default=0.1, help="share of amounts above 1000 (402)")
    ap.add_argument("--timeout", type=float, default=15.0, help="per-request timeout, seconds")
    ap.add_argument("--seed", type=int, help="random seed, for a repeatable sequence")
    args = ap.parse_args()
    if args.count is None and args.rate is None:
        ap.error("give --count N, --rate R, or both")

    # run.sh stops us with SIGTERM (a background job ignores Ctrl-C's SIGINT): same exit path.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    rng = random.Random(args.seed)
    interval = 1.0 / args.rate if args.rate else 0.0
    stats = {}
    sent = 0
    next_at = time.monotonic()
    try:
        while args.count is None or sent < args.count:
            user, amount = pick(rng, args.unknown_ratio, args.decline_ratio)
            t0 = time.monotonic()
            try:
                status, body = checkout(args.url, user, amount, args.timeout)
            except (urllib.error.URLError, OSError) as e:
                status, body = 0, {"error": str(e)}
            ms = (time.monotonic() - t0) * 1000
            body = body if isinstance(body, dict) else {}
            outcome = (body.get("payment") or {}).get("status") or body.get("error") or ""
            print(f"{body.get('trace_id', '-' * 32)}  {status or 'ERR'}  {user:<8} {amount:>8.2f}  "
                  f"{ms:6.0f} ms  {outcome}", flush=True)
            stats[status] = stats.get(status, 0) + 1
            sent += 1
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
    except KeyboardInterrupt:
        pass
    summary = ", ".join(f"{k or 'ERR'}: {v}" for k, v in sorted(stats.items()))
    print(f"sent {sent} checkouts ({summary})", file=sys.stderr)
    return 0 if sent and all(k in (200, 401, 402) for k in stats) else 1


if __name__ == "__main__":
    sys.exit(main())

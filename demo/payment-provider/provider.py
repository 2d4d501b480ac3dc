#!/usr/bin/env python3
"""payment-provider: a stand-in for an external card processor (python stdlib only).

Deliberately NOT instrumented: it is the third party at the edge of the system. In the trace it
appears only as payment-service's HTTP CLIENT span under charge-card.

POST /charge {user, amount, currency} -> 200 {"status": "approved", "charge_id": "ch_..."}
GET /healthz -> 200
"""
import json
import os
import secrets
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8085"))
LATENCY_S = float(os.environ.get("PROVIDER_LATENCY_MS", "30")) / 1000  # a real network hop is not free


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as java.net.http.HttpClient expects

    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/charge":
            self._reply(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            charge = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._reply(400, {"error": "invalid JSON"})
            return
        time.sleep(LATENCY_S)
        self._reply(200, {"status": "approved", "charge_id": "ch_" + secrets.token_hex(8),
                          "amount": charge.get("amount"), "currency": charge.get("currency")})

    def log_message(self, fmt, *args):  # one line per request, flushed, into the run dir's log
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"payment-provider on :{PORT}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass

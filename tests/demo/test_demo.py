"""The seed's polyglot system end to end: polytrace with its embedded store,
PostgreSQL, Kafka and the six services of demo/ (Go, Node.js, Python, Java,
Node.js, Rust) with their official OpenTelemetry SDKs. Drives real checkouts and
checks each trace through the query API and through `polytrace verify`; then
breaks the system on purpose (the seed's pitfalls) and checks that verify
names each fault. Every wait is a condition with a deadline.

Needs demo/scripts/install.sh to have run (scripts/test.sh does it)."""
import json

import pytest

from conftest import wait_until
from demo_env import CHECKOUTS, EXPECT, SERVICES, demo, polytrace  # noqa: F401 (fixtures)

def otlp_spans(polytrace, trace_id):
    """[(service, language, span)] of a stored trace, from the Tempo API's OTLP JSON."""
    doc = polytrace.get_json(f"/api/v2/traces/{trace_id}")
    out = []
    for rs in (doc or {}).get("trace", {}).get("resourceSpans", []):
        attrs = {a["key"]: a["value"] for a in rs["resource"].get("attributes", [])}
        service = attrs.get("service.name", {}).get("stringValue", "")
        language = attrs.get("telemetry.sdk.language", {}).get("stringValue", "")
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                out.append((service, language, s))
    return out


def attr(span, key):
    for a in span.get("attributes", []):
        if a["key"] == key:
            v = a["value"]
            return next(iter(v.values())) if v else None
    return None


def complete(polytrace, trace_id):
    spans = otlp_spans(polytrace, trace_id)
    services = {svc for svc, _, _ in spans}
    names = {s["name"] for _, _, s in spans}
    return spans if set(SERVICES) <= services and "send-notification" in names else None


def test_checkouts_become_one_trace_across_six_services(polytrace, demo):
    d = demo()
    trace_ids = []
    latencies = []
    for i in range(CHECKOUTS):
        user = ["alice", "bob", "carol", "dave", "erin"][i % 5]
        status, body, seconds = d.checkout(user, 10 + i)
        assert status == 200, body
        trace_ids.append(body["trace_id"])
        latencies.append(seconds)
    assert len(set(trace_ids)) == CHECKOUTS

    for trace_id in trace_ids:
        # The SDKs export in batches, each on its own schedule: verify waits
        # until the trace is whole (every expectation met, no orphan left).
        code, out = polytrace.verify("--trace", trace_id, "--expect", str(EXPECT), "--wait", "60s")
        assert code == 0, json.dumps(out, indent=1)
        spans = complete(polytrace, trace_id)
        assert spans, f"trace {trace_id} lacks spans from some service"
        by_id = {s["spanId"]: (svc, s) for svc, _, s in spans}
        assert all(s["traceId"] == trace_id for _, _, s in spans)
        # Each service with its SDK's language.
        for svc, lang, _ in spans:
            assert SERVICES[svc] == lang, f"{svc} reports telemetry.sdk.language={lang}"
        # Every server span's parent is the caller's client span; the
        # consumer's parent is the producer.
        for svc, _, s in spans:
            parent = by_id.get(s.get("parentSpanId", ""))
            if s["kind"] == 2 and svc != "api-gateway":
                assert parent is not None and parent[1]["kind"] == 3 and parent[0] != svc, s
            if s["kind"] == 2 and svc == "api-gateway":
                assert s.get("parentSpanId", "") == "", "the gateway's server span is the root"
            if s["kind"] == 5:
                assert parent is not None and parent[1]["kind"] == 4, s
                assert parent[0] == "payment-service" and svc == "notification-service"
        # The seed's custom spans, with their attributes; the database spans.
        named = {s["name"]: (svc, s) for svc, _, s in spans}
        svc, pay = named["process-payment"]
        assert svc == "payment-service"
        assert attr(pay, "payment.currency") == "USD"
        assert attr(pay, "payment.status") == "approved"
        assert float(attr(pay, "payment.amount")) == float(10 + trace_ids.index(trace_id))
        assert named["charge-card"][0] == "payment-service"
        assert by_id[named["charge-card"][1]["parentSpanId"]][1]["name"] == "process-payment"
        assert named["load-model"][0] == "recommendation-service"
        assert named["check-stock"][0] == "inventory-service"
        assert attr(named["check-stock"][1], "inventory.available") is True
        assert any(svc == "auth-service" and attr(s, "db.system.name") == "postgresql"
                   for svc, _, s in spans), "no PostgreSQL span from auth-service"

    # One generation of semantic conventions everywhere (start.sh opts Node and Python in):
    # every service that writes HTTP or database attributes writes the stable keys.
    analysis = polytrace.get_json(f"/api/analysis/traces/{trace_ids[0]}")
    generations = {(s["name"], domain): use["generation"]
                   for s in analysis["services"] for domain, use in s["semconv"].items()}
    assert generations and set(generations.values()) == {"stable"}, generations
    assert ("auth-service", "db") in generations and ("recommendation-service", "http") in generations

    # No false positives over every recent trace rooted in the gateway.
    code, out = polytrace.verify("--since", "10m", "--root-service", "api-gateway",
                                 "--limit", "100", "--wait", "30s")
    assert code == 0, json.dumps(out, indent=1)
    assert len(out["traces"]) >= CHECKOUTS


def failing_problems(out):
    return [p for t in out["traces"] for c in t["checks"] if not c["ok"] for p in c["problems"]]


def verify_until(polytrace, trace_id, expected, deadline=60):
    """Runs verify until one problem contains every string of `expected`."""
    last = {}

    def diagnosed():
        code, out = polytrace.verify("--trace", trace_id, "--expect", str(EXPECT))
        last["out"] = out
        problems = failing_problems(out) if code == 1 else []
        return next((p for p in problems if all(e in p for e in expected)), None)

    try:
        return wait_until(diagnosed, deadline, f"verify to report {expected}")
    except AssertionError:
        raise AssertionError(f"verify never reported {expected}:\n"
                             f"{json.dumps(last.get('out'), indent=1)}")


@pytest.mark.parametrize("fault,expected", [
    ("propagation-off", ["propagation broke between api-gateway and recommendation-service",
                         "server span"]),
    ("no-injection", ["propagation broke between payment-service and notification-service",
                      "consumer span", "injected into the message"]),
    ("no-service-name", ["service with service.name \"unknown_service", "nodejs",
                         "called by api-gateway"]),
    ("clock-skew", ["recommendation-service's clock looks", "ahead of api-gateway's"]),
    ("sdk-mix", ["semantic conventions disagree on http", "recommendation-service (python",
                 "writes the old keys", "http.method", "http.status_code",
                 "opentelemetry.instrumentation.flask", "OTEL_SEMCONV_STABILITY_OPT_IN=http"]),
    ("b3-propagation", ["propagation broke between api-gateway and",
                        "api-gateway injected B3 single header only", "b3 (B3 single header)",
                        "and no traceparent", "OTEL_PROPAGATORS=tracecontext,baggage,b3multi"]),
])
def test_each_fault_is_named_by_verify(polytrace, demo, fault, expected):
    d = demo(fault)
    status, body, _ = d.checkout("alice", 42)
    assert status == 200, body
    problem = verify_until(polytrace, body["trace_id"], expected)
    print(f"{fault}: {problem}")

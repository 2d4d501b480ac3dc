"""Sends a fixed set of spans covering every field the Python SDK's API can
set, through the official OTLP exporter (http/protobuf or grpc), and writes
what the SDK itself recorded (its in-memory exporter) in canonical form.

usage: send_spans.py --endpoint URL --protocol http/protobuf|grpc --run-id ID --out FILE
"""
import argparse
import json
import time

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.trace import TraceFlags, TraceState


def make_exporter(protocol, endpoint):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        # https:// takes TLS settings from OTEL_EXPORTER_OTLP_CERTIFICATE,
        # _CLIENT_CERTIFICATE and _CLIENT_KEY, as the SDK documents.
        return OTLPSpanExporter(endpoint=endpoint, insecure=not endpoint.startswith("https://"))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def emit(tracer):
    base = time.time_ns() - 60_000_000_000
    remote_parent = SpanContext(
        trace_id=0x5B8EFFF798038103D269B633813FC60C ^ (base & 0xFFFF),
        span_id=0xEEE19B7EC3C1B174, is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("rojo", "00f067aa0ba902b7"), ("congo", "t61rcWkgMzE")]))
    ctx = trace.set_span_in_context(NonRecordingSpan(remote_parent))
    root = tracer.start_span("GET /kitchen-sink ünïcode ✓", context=ctx, kind=SpanKind.SERVER,
                             start_time=base, attributes={
                                 "str": "value", "empty": "", "bool": True, "int": 42,
                                 "negative": -9007199254740993, "double": 3.25,
                                 "non.ascii": "héllo wörld ✓ 日本",
                                 "arr.str": ["a", "", "ü"], "arr.bool": [True, False],
                                 "arr.int": [1, -2, 3], "arr.double": [1.5, -0.25]})
    root.add_event("cache.miss", {"cache.key": "user:42", "attempt": 2}, timestamp=base + 1000)
    root.add_event("no-attributes", timestamp=base + 2000)
    root.set_status(Status(StatusCode.ERROR, "boom: payment declined"))
    root_ctx = trace.set_span_in_context(root)

    linked = SpanContext(trace_id=0x11111111111111111111111111111111, span_id=0x2222222222222222,
                         is_remote=True, trace_state=TraceState([("vendor", "x")]))
    client = tracer.start_span("call downstream", context=root_ctx, kind=SpanKind.CLIENT,
                               start_time=base + 10_000,
                               links=[Link(linked, {"link.reason": "retry-of", "n": 1})])
    client.set_status(Status(StatusCode.OK))
    client.end(end_time=base + 20_000)
    for i, kind in enumerate([SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL]):
        tracer.start_span(f"kind-{kind.name.lower()}", context=root_ctx, kind=kind,
                          start_time=base + 30_000 + i).end(end_time=base + 40_000 + i)
    tracer.start_span("zero-length", context=root_ctx, start_time=base + 50_000).end(
        end_time=base + 50_000)
    tracer.start_span("ten-hours", context=root_ctx, start_time=base - 36_000_000_000_000).end(
        end_time=base)
    overflow = tracer.start_span("over-the-limits", context=root_ctx, start_time=base + 60_000,
                                 links=[Link(linked, {"i": i}) for i in range(7)])
    for i in range(20):
        overflow.set_attribute(f"attr.{i:02d}", i)
    for i in range(7):
        overflow.add_event(f"event-{i}", timestamp=base + 60_000 + i)
    overflow.end(end_time=base + 70_000)
    root.end(end_time=base + 100_000)


def value(v):
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", v]
    if isinstance(v, float):
        return ["double", v]
    if isinstance(v, str):
        return ["string", v]
    return ["array", [value(x) for x in v]]


def attrs(a):
    return {k: value(v) for k, v in (a or {}).items()}


def remote_flags(context):
    return 0x100 | (0x200 if context is not None and context.is_remote else 0)


def canonical(span):
    ctx = span.get_span_context()
    return {
        "trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}",
        "parent_span_id": f"{span.parent.span_id:016x}" if span.parent else "",
        "trace_state": ctx.trace_state.to_header(), "name": span.name,
        "kind": span.kind.value + 1, "start": span.start_time, "end": span.end_time,
        "attributes": attrs(span.attributes),
        "events": [{"name": e.name, "time": e.timestamp, "attributes": attrs(e.attributes)}
                   for e in span.events],
        # The Python OTLP exporter sends no link trace_state and, as flags,
        # only the is-remote bits (0x100 has-is-remote, 0x200 is-remote).
        "links": [{"trace_id": f"{l.context.trace_id:032x}", "span_id": f"{l.context.span_id:016x}",
                   "trace_state": "", "flags": remote_flags(l.context),
                   "attributes": attrs(l.attributes)} for l in span.links],
        # The OTLP exporter sends a status message only with an ERROR code.
        "status": {"code": span.status.status_code.value,
                   "message": (span.status.description or "")
                   if span.status.status_code == StatusCode.ERROR else ""},
        "dropped_attributes_count": span.dropped_attributes,
        "dropped_events_count": span.dropped_events,
        "dropped_links_count": span.dropped_links,
        "flags": remote_flags(span.parent),
        "resource": attrs(span.resource.attributes),
        "scope": {"name": span.instrumentation_scope.name,
                  "version": span.instrumentation_scope.version or ""},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--protocol", choices=["http/protobuf", "grpc"], required=True)
    p.add_argument("--run-id", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()

    resource = Resource.create({"service.name": "interop-python", "run.id": args.run_id,
                                "héllo": "wörld ✓ 日本", "deployment.environment": "test"})
    limits = SpanLimits(max_span_attributes=16, max_events=5, max_links=5)
    provider = TracerProvider(resource=resource, span_limits=limits)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(SimpleSpanProcessor(make_exporter(args.protocol, args.endpoint)))
    tracer = provider.get_tracer("interop.python", "1.2.3",
                                 schema_url="https://opentelemetry.io/schemas/1.24.0")
    emit(tracer)
    provider.shutdown()
    spans = sorted((canonical(s) for s in memory.get_finished_spans()), key=lambda s: s["span_id"])
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"spans": spans}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()

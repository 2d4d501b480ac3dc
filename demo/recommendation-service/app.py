"""recommendation-service: GET /recommendations?user=NAME -> the top items for that user.

Each request loads the model from model-store/ (a JSON file: category affinities per user and a
catalog) under a custom `load-model` span, then scores the catalog with it.

Tracing: Flask and requests are auto-instrumented; spans go through a BatchSpanProcessor to
OTLP/HTTP protobuf at ${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces. The propagators are NOT set in
code: the SDK takes them from OTEL_PROPAGATORS (default tracecontext,baggage), which is how
DEMO_FAULT=propagation-off (OTEL_PROPAGATORS=none) cuts this service out of the caller's trace.
"""
import json
import os
import signal
import sys
from pathlib import Path

from flask import Flask, jsonify, request
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.propagators.textmap import TextMapPropagator

PORT = int(os.environ.get("PORT", "8082"))
MODEL_PATH = Path(os.environ.get("MODEL_PATH", Path(__file__).parent / "model-store" / "recommender-v1.json"))


class ClockOffsetExporter(SpanExporter):
    """Shifts every span's start, end and event times by a fixed offset before export.

    Simulates a host whose clock is wrong (DEMO_CLOCK_OFFSET_MS, default 0): the spans still
    carry the right parent ids, but their times no longer nest inside the caller's span.
    """

    def __init__(self, inner: SpanExporter, offset_ms: float):
        self._inner = inner
        self._offset_ns = int(offset_ms * 1_000_000)

    def _shift(self, span: ReadableSpan) -> ReadableSpan:
        ns = self._offset_ns
        events = [Event(e.name, e.attributes, e.timestamp + ns) for e in span.events]
        return ReadableSpan(
            name=span.name, context=span.context, parent=span.parent, resource=span.resource,
            attributes=span.attributes, events=events, links=span.links, kind=span.kind,
            status=span.status, start_time=span.start_time + ns, end_time=span.end_time + ns,
            instrumentation_scope=span.instrumentation_scope,
        )

    def export(self, spans):
        if self._offset_ns:
            spans = [self._shift(s) for s in spans]
        return self._inner.export(spans)

    def shutdown(self):
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class NoPropagation(TextMapPropagator):
    """Propagates nothing, like OTEL_PROPAGATORS=none, but extract() returns a Context."""

    def extract(self, carrier, context=None, getter=None):
        return context if context is not None else Context()

    def inject(self, carrier, context=None, setter=None):
        pass

    @property
    def fields(self):
        return set()


def guard_empty_propagator():
    """Works around an opentelemetry-api 1.45 bug that OTEL_PROPAGATORS=none triggers.

    "none" makes the global propagator an empty CompositePropagator whose extract() returns None
    instead of a Context; the Flask instrumentation attaches that None as the current context and
    the request then fails with a 500. Only in that case is it swapped for an equivalent that
    propagates nothing either; whatever else OTEL_PROPAGATORS configures is left alone.
    """
    if not propagate.get_global_textmap().fields:  # no propagator at all
        propagate.set_global_textmap(NoPropagation())


def init_tracing(app: Flask) -> TracerProvider:
    resource = Resource.create({
        "service.name": "recommendation-service",
        "service.version": "1.0.0",
        "deployment.environment": "demo",
    })
    provider = TracerProvider(resource=resource)
    exporter = ClockOffsetExporter(OTLPSpanExporter(), float(os.environ.get("DEMO_CLOCK_OFFSET_MS", "0")))
    provider.add_span_processor(BatchSpanProcessor(exporter))  # OTEL_BSP_* env applies
    trace.set_tracer_provider(provider)
    guard_empty_propagator()
    # Server spans for incoming requests (context extracted with the env-configured propagators),
    # client spans + injected headers for any outgoing `requests` call.
    FlaskInstrumentor().instrument_app(app, excluded_urls="healthz")
    RequestsInstrumentor().instrument()
    return provider


app = Flask(__name__)
provider = init_tracing(app)
tracer = trace.get_tracer("recommendation-service", "1.0.0")


def load_model() -> dict:
    """Reads and checks the model file; the span shows which model and how big."""
    with tracer.start_as_current_span("load-model") as span:
        span.set_attribute("model.path", str(MODEL_PATH))
        raw = MODEL_PATH.read_bytes()
        model = json.loads(raw)
        for key in ("name", "version", "catalog", "user_affinity", "default_affinity"):
            if key not in model:
                raise ValueError(f"model file {MODEL_PATH} lacks {key!r}")
        span.set_attribute("model.name", model["name"])
        span.set_attribute("model.version", model["version"])
        span.set_attribute("model.size_bytes", len(raw))
        span.set_attribute("model.catalog_items", len(model["catalog"]))
        return model


def recommend(model: dict, user: str) -> list:
    """Scores = category affinity x popularity (x premium boost); highest top_k first."""
    affinity = model["user_affinity"].get(user, model["default_affinity"])
    boost = model.get("premium_boost", 1.0)
    scored = []
    for item in model["catalog"]:
        score = affinity.get(item["category"], 0.0) * item["popularity"]
        if item.get("premium"):
            score *= boost
        if score > 0:
            scored.append({"id": item["id"], "name": item["name"], "score": round(score, 3)})
    scored.sort(key=lambda i: (-i["score"], i["id"]))
    return scored[: model.get("top_k", 3)]


@app.get("/recommendations")
def recommendations():
    user = request.args.get("user", "")
    if not user:
        return jsonify(error="missing ?user="), 400
    model = load_model()
    items = recommend(model, user)
    span = trace.get_current_span()
    span.set_attribute("enduser.id", user)
    span.set_attribute("recommendation.count", len(items))
    return jsonify(user=user, model=f"{model['name']}@{model['version']}", items=items)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok", model=str(MODEL_PATH), model_present=MODEL_PATH.is_file())


def _stop(signum, _frame):
    provider.shutdown()  # flush what the batch processor still holds
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    offset = os.environ.get("DEMO_CLOCK_OFFSET_MS", "0")
    print(f"recommendation-service on :{PORT} (OTEL_PROPAGATORS={os.environ.get('OTEL_PROPAGATORS', 'default')},"
          f" clock offset {offset} ms)", flush=True)
    # Werkzeug's threaded server: small and enough for a demo's request rate.
    app.run(host="127.0.0.1", port=PORT, threaded=True)

"""The canonical span form shared by every SDK program and the harness.

Each SDK program records what its SDK says it exported (its own in-memory
exporter) in this form; the harness converts what polytrace wrote (OTLP JSON
lines from the `file` exporter) to the same form and compares field by field.
"""
import base64
import json

KINDS = {"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
         "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5}


def _any_value(v):
    """OTLP JSON AnyValue -> [type, value]."""
    if "stringValue" in v:
        return ["string", v["stringValue"]]
    if "boolValue" in v:
        return ["bool", v["boolValue"]]
    if "intValue" in v:
        return ["int", int(v["intValue"])]
    if "doubleValue" in v:
        return ["double", float(v["doubleValue"])]
    if "bytesValue" in v:
        return ["bytes", base64.b64decode(v["bytesValue"]).hex()]
    if "arrayValue" in v:
        return ["array", [_any_value(x) for x in v["arrayValue"].get("values", [])]]
    if "kvlistValue" in v:
        return ["kvlist", _attributes(v["kvlistValue"].get("values", []))]
    return ["empty", None]


def _attributes(kvs):
    return {kv["key"]: _any_value(kv.get("value", {})) for kv in kvs or []}


def spans_from_otlp_json_lines(path, run_id):
    """Canonical spans of one run from a file exporter's output."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out += spans_from_otlp_request(json.loads(line), run_id)
    return sorted(out, key=lambda s: s["span_id"])


def spans_from_otlp_request(request, run_id=None):
    """Canonical spans of one OTLP JSON request (or Tempo trace) object."""
    out = []
    for rs in request.get("resourceSpans", request.get("batches", [])):
        resource = _attributes(rs.get("resource", {}).get("attributes"))
        if run_id is not None and resource.get("run.id") != ["string", run_id]:
            continue
        for ss in rs.get("scopeSpans", []):
            scope = ss.get("scope", {})
            for s in ss.get("spans", []):
                out.append(_span(s, resource, scope))
    return sorted(out, key=lambda s: s["span_id"])


def _span(s, resource, scope):
    status = s.get("status", {})
    return {
        "trace_id": s.get("traceId", ""),
        "span_id": s.get("spanId", ""),
        "parent_span_id": s.get("parentSpanId", ""),
        "trace_state": s.get("traceState", ""),
        "name": s.get("name", ""),
        "kind": s.get("kind", 0) if isinstance(s.get("kind", 0), int) else KINDS[s["kind"]],
        "start": int(s.get("startTimeUnixNano", 0)),
        "end": int(s.get("endTimeUnixNano", 0)),
        "attributes": _attributes(s.get("attributes")),
        "events": [{"name": e.get("name", ""), "time": int(e.get("timeUnixNano", 0)),
                    "attributes": _attributes(e.get("attributes"))} for e in s.get("events", [])],
        "links": [{"trace_id": l.get("traceId", ""), "span_id": l.get("spanId", ""),
                   "trace_state": l.get("traceState", ""), "flags": l.get("flags", 0),
                   "attributes": _attributes(l.get("attributes"))} for l in s.get("links", [])],
        "status": {"code": status.get("code", 0), "message": status.get("message", "")},
        "dropped_attributes_count": s.get("droppedAttributesCount", 0),
        "dropped_events_count": s.get("droppedEventsCount", 0),
        "dropped_links_count": s.get("droppedLinksCount", 0),
        "flags": s.get("flags", 0),
        "resource": resource,
        "scope": {"name": scope.get("name", ""), "version": scope.get("version", "")},
    }


def diff(expected, actual, path="span"):
    """Readable differences between two canonical structures."""
    problems = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in sorted(set(expected) | set(actual)):
            if k not in actual:
                problems.append(f"{path}.{k}: missing (expected {expected[k]!r})")
            elif k not in expected:
                problems.append(f"{path}.{k}: unexpected {actual[k]!r}")
            else:
                problems += diff(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            problems += diff(e, a, f"{path}[{i}]")
    elif expected != actual:
        problems.append(f"{path}: expected {expected!r}, got {actual!r}")
    return problems

"""What Jaeger's JSON should say about a span, derived from the canonical
(OTLP) form the SDK programs record, following Jaeger's OTLP translation."""
import base64
import json

KIND_NAMES = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _plain(value):
    kind, v = value
    if kind == "array":
        return [_plain(x) for x in v]
    if kind == "kvlist":
        return {k: _plain(x) for k, x in v.items()}
    if kind == "bytes":
        return base64.b64encode(bytes.fromhex(v)).decode()
    return v


def jaeger_tag(key, value):
    kind, v = value
    if kind == "string":
        return {"key": key, "type": "string", "value": v}
    if kind == "bool":
        return {"key": key, "type": "bool", "value": v}
    if kind == "int":
        # JavaScript holds integers to 2^53 - 1: Jaeger writes bigger ones as strings.
        safe = abs(int(v)) <= 2**53 - 1
        return {"key": key, "type": "int64", "value": int(v) if safe else str(v)}
    if kind == "double":
        return {"key": key, "type": "float64", "value": v}
    if kind == "bytes":
        return {"key": key, "type": "binary", "value": base64.b64encode(bytes.fromhex(v)).decode()}
    if kind == "empty":
        return {"key": key, "type": "string", "value": ""}
    return {"key": key, "type": "string", "value": json.dumps(_plain(value), separators=(",", ":"),
                                                              ensure_ascii=False)}


def short_trace_id(hex_id):
    return hex_id[16:] if hex_id[:16] == "0" * 16 else hex_id


def expected_jaeger_span(span):
    tags = [jaeger_tag(k, v) for k, v in span["attributes"].items()]
    if span["kind"] in KIND_NAMES:
        tags.append({"key": "span.kind", "type": "string", "value": KIND_NAMES[span["kind"]]})
    code = span["status"]["code"]
    if code == 2:
        tags.append({"key": "error", "type": "bool", "value": True})
        tags.append({"key": "otel.status_code", "type": "string", "value": "ERROR"})
    elif code == 1:
        tags.append({"key": "otel.status_code", "type": "string", "value": "OK"})
    if span["status"]["message"]:
        tags.append({"key": "otel.status_description", "type": "string", "value": span["status"]["message"]})
    if span["scope"]["name"]:
        tags.append({"key": "otel.scope.name", "type": "string", "value": span["scope"]["name"]})
    if span["scope"]["version"]:
        tags.append({"key": "otel.scope.version", "type": "string", "value": span["scope"]["version"]})
    if span["trace_state"]:
        tags.append({"key": "w3c.tracestate", "type": "string", "value": span["trace_state"]})
    refs = []
    if span["parent_span_id"]:
        refs.append({"refType": "CHILD_OF", "traceID": short_trace_id(span["trace_id"]),
                     "spanID": span["parent_span_id"]})
    for link in span["links"]:
        refs.append({"refType": "FOLLOWS_FROM", "traceID": short_trace_id(link["trace_id"]),
                     "spanID": link["span_id"]})
    logs = []
    for e in span["events"]:
        fields = ([{"key": "event", "type": "string", "value": e["name"]}] if e["name"] else [])
        fields += [jaeger_tag(k, v) for k, v in e["attributes"].items()]
        logs.append({"timestamp": e["time"] // 1000, "fields": sorted(fields, key=lambda f: f["key"])})
    resource = dict(span["resource"])
    service = resource.pop("service.name", ["string", "unknown_service"])[1]
    return {
        "traceID": short_trace_id(span["trace_id"]),
        "spanID": span["span_id"],
        "operationName": span["name"],
        "references": refs,
        "startTime": span["start"] // 1000,
        "duration": max(0, span["end"] - span["start"]) // 1000,
        "tags": sorted(tags, key=lambda t: t["key"]),
        "logs": logs,
        "process": {"serviceName": service,
                    "tags": sorted((jaeger_tag(k, v) for k, v in resource.items()), key=lambda t: t["key"])},
    }


def actual_jaeger_span(trace, span):
    out = {k: span[k] for k in ("traceID", "spanID", "operationName", "references", "startTime", "duration")}
    # The canonical form keeps attributes as a map: compare fields by key.
    out["logs"] = [{"timestamp": log["timestamp"], "fields": sorted(log["fields"], key=lambda f: f["key"])}
                   for log in span["logs"]]
    out["tags"] = sorted(span["tags"], key=lambda t: t["key"])
    process = trace["processes"][span["processID"]]
    out["process"] = {"serviceName": process["serviceName"],
                      "tags": sorted(process["tags"], key=lambda t: t["key"])}
    return out

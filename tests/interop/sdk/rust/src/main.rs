// Sends a fixed set of spans covering every field the Rust SDK's API can set,
// through the official OTLP exporter (opentelemetry-otlp: grpc-tonic or
// http-proto with the blocking reqwest client, the crate's default client),
// and writes what the SDK itself recorded (opentelemetry_sdk's
// InMemorySpanExporter, `testing` feature) in canonical form.
//
// usage: send-spans --endpoint URL --protocol http/protobuf|grpc --run-id ID --out FILE
//
// Exits non-zero when the OTLP export failed (flush or shutdown error).
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    Link, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer, TracerProvider as _,
};
use opentelemetry::{Array, Context, InstrumentationScope, KeyValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use serde_json::{json, Value as Json};

const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.24.0";

struct Args {
    endpoint: String,
    protocol: String,
    run_id: String,
    out: String,
}

fn parse_args() -> Result<Args, String> {
    let mut map = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let key = flag
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {flag:?}"))?
            .to_string();
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        map.insert(key, value);
    }
    let mut take = |k: &str| map.remove(k).ok_or_else(|| format!("--{k} is required"));
    let args = Args {
        endpoint: take("endpoint")?,
        protocol: take("protocol")?,
        run_id: take("run-id")?,
        out: take("out")?,
    };
    if let Some(k) = map.keys().next() {
        return Err(format!("unknown option --{k}"));
    }
    Ok(args)
}

fn exporter(protocol: &str, endpoint: &str) -> Result<opentelemetry_otlp::SpanExporter, String> {
    let endpoint = endpoint.trim_end_matches('/');
    let built = match protocol {
        // tonic: plaintext HTTP/2 for http://. The crate is built without its
        // TLS features, so https:// endpoints are refused at build time.
        "grpc" => opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build(),
        // A programmatic HTTP endpoint is used as is: the signal path is ours to add.
        "http/protobuf" => opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .build(),
        other => {
            return Err(format!(
                "unsupported --protocol {other:?} (grpc or http/protobuf)"
            ))
        }
    };
    built.map_err(|e| format!("building the OTLP exporter: {e}"))
}

/// The SDK's in-memory exporter, plus the resource the provider hands its
/// exporters (SpanData carries no resource; InMemorySpanExporter keeps it
/// but has no getter).
#[derive(Debug, Clone)]
struct Recorder {
    memory: InMemorySpanExporter,
    resource: Arc<Mutex<Option<Resource>>>,
}

impl SpanExporter for Recorder {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.memory.export(batch)
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.memory.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap() = Some(resource.clone());
        self.memory.set_resource(resource);
    }
}

fn emit<T: Tracer>(tracer: &T)
where
    T::Span: Send + Sync + 'static,
{
    use opentelemetry::trace::Span as _;
    let base = SystemTime::now() - Duration::from_secs(60);
    let at = |ns: u64| base + Duration::from_nanos(ns);

    let remote = SpanContext::new(
        TraceId::from_hex("5b8efff798038103d269b633813fc60c").unwrap(),
        SpanId::from_hex("eee19b7ec3c1b174").unwrap(),
        TraceFlags::SAMPLED,
        true,
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
            .parse::<TraceState>()
            .unwrap(),
    );
    let parent = Context::new().with_remote_span_context(remote);
    let mut root = tracer
        .span_builder("GET /kitchen-sink ünïcode ✓")
        .with_kind(SpanKind::Server)
        .with_start_time(at(0))
        .with_attributes([
            KeyValue::new("str", "value"),
            KeyValue::new("empty", ""),
            KeyValue::new("bool", true),
            KeyValue::new("int", 42i64),
            KeyValue::new("negative", -9007199254740993i64),
            KeyValue::new("double", 3.25f64),
            KeyValue::new("non.ascii", "héllo wörld ✓ 日本"),
            KeyValue::new(
                "arr.str",
                Value::Array(Array::String(vec!["a".into(), "".into(), "ü".into()])),
            ),
            KeyValue::new("arr.bool", Value::Array(Array::Bool(vec![true, false]))),
            KeyValue::new("arr.int", Value::Array(Array::I64(vec![1, -2, 3]))),
            KeyValue::new("arr.double", Value::Array(Array::F64(vec![1.5, -0.25]))),
        ])
        .start_with_context(tracer, &parent);
    root.add_event_with_timestamp(
        "cache.miss",
        at(1000),
        vec![
            KeyValue::new("cache.key", "user:42"),
            KeyValue::new("attempt", 2i64),
        ],
    );
    root.add_event_with_timestamp("no-attributes", at(2000), vec![]);
    root.set_status(Status::error("boom: payment declined"));
    let root_cx = parent.with_span(root);

    let linked = SpanContext::new(
        TraceId::from_hex("11111111111111111111111111111111").unwrap(),
        SpanId::from_hex("2222222222222222").unwrap(),
        TraceFlags::default(),
        true,
        "vendor=x".parse::<TraceState>().unwrap(),
    );
    let mut client = tracer
        .span_builder("call downstream")
        .with_kind(SpanKind::Client)
        .with_start_time(at(10_000))
        .with_links(vec![Link::new(
            linked.clone(),
            vec![
                KeyValue::new("link.reason", "retry-of"),
                KeyValue::new("n", 1i64),
            ],
            0,
        )])
        .start_with_context(tracer, &root_cx);
    client.set_status(Status::Ok);
    client.end_with_timestamp(at(20_000));

    for (i, (kind, name)) in [
        (SpanKind::Producer, "kind-producer"),
        (SpanKind::Consumer, "kind-consumer"),
        (SpanKind::Internal, "kind-internal"),
    ]
    .into_iter()
    .enumerate()
    {
        let i = i as u64;
        tracer
            .span_builder(name)
            .with_kind(kind)
            .with_start_time(at(30_000 + i))
            .start_with_context(tracer, &root_cx)
            .end_with_timestamp(at(40_000 + i));
    }
    tracer
        .span_builder("zero-length")
        .with_start_time(at(50_000))
        .start_with_context(tracer, &root_cx)
        .end_with_timestamp(at(50_000));
    tracer
        .span_builder("ten-hours")
        .with_start_time(base - Duration::from_secs(10 * 3600))
        .start_with_context(tracer, &root_cx)
        .end_with_timestamp(at(0));

    // Limits are 16 attributes, 5 events, 5 links: 4, 2 and 2 are dropped.
    let links = (0..7)
        .map(|i| Link::new(linked.clone(), vec![KeyValue::new("i", i as i64)], 0))
        .collect();
    let mut overflow = tracer
        .span_builder("over-the-limits")
        .with_start_time(at(60_000))
        .with_links(links)
        .start_with_context(tracer, &root_cx);
    for i in 0..20i64 {
        overflow.set_attribute(KeyValue::new(format!("attr.{i:02}"), i));
    }
    for i in 0..7u64 {
        overflow.add_event_with_timestamp(format!("event-{i}"), at(60_000 + i), vec![]);
    }
    overflow.end_with_timestamp(at(70_000));
    root_cx.span().end_with_timestamp(at(100_000));
}

fn value(v: &Value) -> Json {
    match v {
        Value::Bool(b) => json!(["bool", b]),
        Value::I64(i) => json!(["int", i]),
        Value::F64(f) => json!(["double", f]),
        Value::String(s) => json!(["string", s.as_str()]),
        Value::Array(Array::Bool(xs)) => json!([
            "array",
            xs.iter().map(|x| json!(["bool", x])).collect::<Vec<_>>()
        ]),
        Value::Array(Array::I64(xs)) => json!([
            "array",
            xs.iter().map(|x| json!(["int", x])).collect::<Vec<_>>()
        ]),
        Value::Array(Array::F64(xs)) => json!([
            "array",
            xs.iter().map(|x| json!(["double", x])).collect::<Vec<_>>()
        ]),
        Value::Array(Array::String(xs)) => {
            json!([
                "array",
                xs.iter()
                    .map(|x| json!(["string", x.as_str()]))
                    .collect::<Vec<_>>()
            ])
        }
        // Value and Array are non_exhaustive.
        _ => json!(["empty", null]),
    }
}

fn attrs<'a>(kvs: impl IntoIterator<Item = (&'a opentelemetry::Key, &'a Value)>) -> Json {
    Json::Object(
        kvs.into_iter()
            .map(|(k, v)| (k.as_str().to_string(), value(v)))
            .collect(),
    )
}

fn kv_attrs(kvs: &[KeyValue]) -> Json {
    attrs(kvs.iter().map(|kv| (&kv.key, &kv.value)))
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .to_string()
}

// The Rust OTLP exporter sends flags = W3C trace flags | has-is-remote | is-remote.
fn flags(trace_flags: TraceFlags, remote: bool) -> u32 {
    trace_flags.to_u8() as u32 | 0x100 | if remote { 0x200 } else { 0 }
}

// OTLP span kinds (Internal=1, Server=2, Client=3, Producer=4, Consumer=5).
fn kind(k: &SpanKind) -> u32 {
    match k {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn canonical(s: &SpanData, resource: &Json) -> Json {
    let parent = if s.parent_span_id == SpanId::INVALID {
        String::new()
    } else {
        s.parent_span_id.to_string()
    };
    // The OTLP exporter sends a status message only with the Error code (the
    // Rust API's Ok carries none).
    let (code, message) = match &s.status {
        Status::Unset => (0, String::new()),
        Status::Ok => (1, String::new()),
        Status::Error { description } => (2, description.to_string()),
    };
    json!({
        "trace_id": s.span_context.trace_id().to_string(),
        "span_id": s.span_context.span_id().to_string(),
        "parent_span_id": parent,
        "trace_state": s.span_context.trace_state().header(),
        "name": s.name,
        "kind": kind(&s.span_kind),
        "start": nanos(s.start_time),
        "end": nanos(s.end_time),
        "attributes": kv_attrs(&s.attributes),
        "events": s.events.iter().map(|e| json!({
            "name": e.name, "time": nanos(e.timestamp), "attributes": kv_attrs(&e.attributes),
        })).collect::<Vec<_>>(),
        // Unlike the Go and Python exporters, the Rust one sends a link's trace_state.
        "links": s.links.iter().map(|l| json!({
            "trace_id": l.span_context.trace_id().to_string(),
            "span_id": l.span_context.span_id().to_string(),
            "trace_state": l.span_context.trace_state().header(),
            "flags": flags(l.span_context.trace_flags(), l.span_context.is_remote()),
            "attributes": kv_attrs(&l.attributes),
        })).collect::<Vec<_>>(),
        "status": {"code": code, "message": message},
        "dropped_attributes_count": s.dropped_attributes_count,
        "dropped_events_count": s.events.dropped_count,
        "dropped_links_count": s.links.dropped_count,
        "flags": flags(s.span_context.trace_flags(), s.parent_span_is_remote),
        "resource": resource,
        "scope": {
            "name": s.instrumentation_scope.name(),
            "version": s.instrumentation_scope.version().unwrap_or(""),
        },
    })
}

fn run(args: Args) -> Result<(), String> {
    // tonic needs a Tokio runtime: the exporter is built inside it and the
    // runtime outlives the provider. The batch processor exports from its own
    // thread, so the blocking reqwest client never runs on a runtime thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let otlp = {
        let _guard = runtime.enter();
        exporter(&args.protocol, &args.endpoint)?
    };
    // Resource::builder() starts from the SDK's detectors (telemetry.sdk.*,
    // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES); ours override them.
    let resource = Resource::builder()
        .with_schema_url(Vec::<KeyValue>::new(), SCHEMA_URL)
        .with_service_name("interop-rust")
        .with_attributes([
            KeyValue::new("run.id", args.run_id.clone()),
            KeyValue::new("héllo", "wörld ✓ 日本"),
            KeyValue::new("deployment.environment", "test"),
        ])
        .build();
    let recorder = Recorder {
        memory: InMemorySpanExporter::default(),
        resource: Arc::default(),
    };
    let provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_max_attributes_per_span(16)
        .with_max_events_per_span(5)
        .with_max_links_per_span(5)
        .with_simple_exporter(recorder.clone())
        // The batch processor's force_flush returns the export's result (the
        // simple processor only logs it).
        .with_batch_exporter(otlp)
        .build();
    let tracer = provider.tracer_with_scope(
        InstrumentationScope::builder("interop.rust")
            .with_version("1.2.3")
            .with_schema_url(SCHEMA_URL)
            .with_attributes([KeyValue::new("scope.attr", "ünïcode")])
            .build(),
    );
    emit(&tracer);
    let flushed = provider.force_flush();
    // Read before shutdown: shutting the in-memory exporter down clears it.
    let recorded = recorder
        .memory
        .get_finished_spans()
        .map_err(|e| format!("in-memory exporter: {e}"))?;
    let shut = provider.shutdown();
    flushed.map_err(|e| format!("flushing the OTLP export failed: {e}"))?;
    shut.map_err(|e| format!("shutting the tracer provider down failed: {e}"))?;
    drop(runtime);

    let resource = recorder
        .resource
        .lock()
        .unwrap()
        .clone()
        .ok_or("the provider set no resource")?;
    let resource = attrs(resource.iter());
    let mut spans: Vec<Json> = recorded.iter().map(|s| canonical(s, &resource)).collect();
    spans.sort_by(|a, b| a["span_id"].as_str().cmp(&b["span_id"].as_str()));
    let text =
        serde_json::to_string_pretty(&json!({ "spans": spans })).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text).map_err(|e| format!("writing {}: {e}", args.out))
}

fn main() -> ExitCode {
    let result = parse_args().and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("send-spans: {e}");
            ExitCode::FAILURE
        }
    }
}

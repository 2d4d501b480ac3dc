//! inventory-service: the polytrace demo's Rust service.
//!
//! ## Endpoints
//!
//! - `GET /inventory?item=NAME&qty=N` answers `{"item": NAME, "available": BOOL, "in_stock": N}`
//!   from a small in-memory table (book 12, laptop 3, anything else 5). `qty` defaults to 1;
//!   a missing `item` or a `qty` that is not a non-negative integer is a 400.
//! - `GET /healthz` answers 200 `ok` and makes no span.
//!
//! ## Tracing (the OpenTelemetry API and SDK directly, no instrumentation crate)
//!
//! - The incoming W3C context is extracted with the propagators named by `OTEL_PROPAGATORS`
//!   (`tracecontext`, `baggage`, `none`; others are ignored with a warning; default
//!   `tracecontext,baggage`, as the spec says).
//! - Each request makes a SERVER span `GET /inventory` (`{method} {route}`; the method alone
//!   when no route matched) with the stable HTTP conventions: `http.request.method`,
//!   `url.path`, `url.query` (when present), `url.scheme`, `http.route`,
//!   `http.response.status_code`, `server.address`, `server.port`, `network.protocol.version`,
//!   `user_agent.original` (when sent), `client.address`; status ERROR (and `error.type`)
//!   only for 5xx.
//! - `/inventory` makes a child INTERNAL span `check-stock` with `inventory.item`,
//!   `inventory.requested` (int), `inventory.in_stock` (int), `inventory.available` (bool).
//! - Resource: `service.name` = `inventory-service` (`OTEL_SERVICE_NAME` overrides),
//!   `service.version` = `1.0.0`, `deployment.environment` = `demo`, the SDK's
//!   `telemetry.sdk.*` (language `rust`), and `OTEL_RESOURCE_ATTRIBUTES`.
//! - Export: OTLP/HTTP protobuf (opentelemetry-otlp, blocking reqwest client) through a batch
//!   processor whose schedule delay is `OTEL_BSP_SCHEDULE_DELAY` ms (default 500 here; the
//!   SDK's other `OTEL_BSP_*` variables apply too).
//!
//! ## Environment
//!
//! | variable | default |
//! |---|---|
//! | `PORT` | `8086` (listens on 127.0.0.1) |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | `http://127.0.0.1:4318` (the SDK appends `/v1/traces`) |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | full URL, used as is (SDK rule) |
//! | `OTEL_SERVICE_NAME` | `inventory-service` |
//! | `OTEL_BSP_SCHEDULE_DELAY` | `500` |
//! | `OTEL_PROPAGATORS` | `tracecontext,baggage` |
//!
//! ## Build and run
//!
//! ```sh
//! demo/inventory-service/build.sh      # cargo build --release --locked, skipped when up to date
//! PORT=8086 OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 demo/inventory-service/inventory-service
//! curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
//!      'http://127.0.0.1:8086/inventory?item=laptop&qty=2'
//! ```
//!
//! SIGTERM or SIGINT: stop accepting, let in-flight requests finish (5 s at most), shut the
//! tracer provider down (which flushes the batch), exit 0.
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use opentelemetry::propagation::{Extractor, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanData, SpanExporter,
};
use opentelemetry_sdk::Resource;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tokio::task::JoinSet;

const SERVICE_NAME: &str = "inventory-service";
const SERVICE_VERSION: &str = "1.0.0";
const DEFAULT_PORT: u16 = 8086;
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4318";
const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_millis(500);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

fn stock_of(item: &str) -> i64 {
    match item {
        "book" => 12,
        "laptop" => 3,
        _ => 5,
    }
}

struct App {
    tracer: SdkTracer,
    propagator: TextMapCompositePropagator,
    local: SocketAddr,
}

type Body = Full<Bytes>;

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

// ---------------------------------------------------------------- tracing setup

/// OTEL_PROPAGATORS: the spec's list; this service knows tracecontext and baggage.
fn propagator() -> TextMapCompositePropagator {
    let spec = env_nonempty("OTEL_PROPAGATORS").unwrap_or_else(|| "tracecontext,baggage".into());
    let mut list: Vec<Box<dyn TextMapPropagator + Send + Sync>> = Vec::new();
    for name in spec.split(',').map(|s| s.trim().to_ascii_lowercase()) {
        match name.as_str() {
            "tracecontext" => list.push(Box::new(TraceContextPropagator::new())),
            "baggage" => list.push(Box::new(BaggagePropagator::new())),
            "none" | "" => {}
            other => eprintln!(
                "inventory-service: OTEL_PROPAGATORS: {other:?} is not supported here, ignored"
            ),
        }
    }
    TextMapCompositePropagator::new(list)
}

/// The OTLP exporter, reporting failed exports on stderr (the SDK is built
/// without its internal-logs feature): the first failure, then the recovery.
#[derive(Debug)]
struct Reporting<E> {
    inner: E,
    failing: Arc<AtomicBool>,
}

impl<E: SpanExporter> SpanExporter for Reporting<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len();
        let result = self.inner.export(batch).await;
        match &result {
            Err(e) if !self.failing.swap(true, Ordering::Relaxed) => {
                eprintln!("inventory-service: exporting {n} spans failed: {e} (further failures not logged until one succeeds)")
            }
            Ok(()) if self.failing.swap(false, Ordering::Relaxed) => {
                eprintln!("inventory-service: exporting spans works again")
            }
            _ => {}
        }
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

/// The provider, the endpoint it exports to, and whether the last export failed.
fn tracer_provider() -> Result<(SdkTracerProvider, String, Arc<AtomicBool>), String> {
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary);
    // The SDK resolves OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) and
    // OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces) itself; only its default
    // (localhost, which may resolve to ::1) is replaced by 127.0.0.1.
    let endpoint = if let Some(url) = env_nonempty("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        url
    } else if let Some(url) = env_nonempty("OTEL_EXPORTER_OTLP_ENDPOINT") {
        format!("{}/v1/traces", url.trim_end_matches('/'))
    } else {
        let url = format!("{DEFAULT_ENDPOINT}/v1/traces");
        builder = builder.with_endpoint(url.clone());
        url
    };
    let exporter = builder.build().map_err(|e| format!("OTLP exporter: {e}"))?;

    // BatchConfigBuilder::default() reads the OTEL_BSP_* variables; a
    // programmatic value would override them, so the 500 ms default is only
    // set when OTEL_BSP_SCHEDULE_DELAY is absent or not a number (the SDK's
    // own parse rule).
    let mut config = BatchConfigBuilder::default();
    let from_env = std::env::var("OTEL_BSP_SCHEDULE_DELAY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if from_env.is_none() {
        config = config.with_scheduled_delay(DEFAULT_SCHEDULE_DELAY);
    }
    let failing = Arc::new(AtomicBool::new(false));
    let processor = BatchSpanProcessor::builder(Reporting {
        inner: exporter,
        failing: failing.clone(),
    })
    .with_batch_config(config.build())
    .build();

    let name = env_nonempty("OTEL_SERVICE_NAME").unwrap_or_else(|| SERVICE_NAME.to_string());
    // Resource::builder(): the SDK's detectors (telemetry.sdk.*, OTEL_RESOURCE_ATTRIBUTES) first.
    let resource = Resource::builder()
        .with_service_name(name)
        .with_attributes([
            KeyValue::new("service.version", SERVICE_VERSION),
            KeyValue::new("deployment.environment", "demo"),
        ])
        .build();
    let provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_span_processor(processor)
        .build();
    Ok((provider, endpoint, failing))
}

// ---------------------------------------------------------------- HTTP

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    respond(status, "application/json", value.to_string())
}

/// server.address / server.port from the Host header, else the listening socket.
fn server_address(headers: &HeaderMap, local: SocketAddr) -> (String, i64) {
    let Some(host) = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
    else {
        return (local.ip().to_string(), local.port() as i64);
    };
    // "[::1]:8086", "127.0.0.1:8086", "example.com"
    let (name, port) = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => (&host[..i], host[i + 1..].parse::<i64>().ok()),
        _ => (host, None),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    (name.to_string(), port.unwrap_or(80))
}

fn method_attributes(method: &Method) -> (String, Vec<KeyValue>) {
    const KNOWN: [&str; 9] = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
    ];
    if KNOWN.contains(&method.as_str()) {
        (
            method.as_str().to_string(),
            vec![KeyValue::new(
                "http.request.method",
                method.as_str().to_string(),
            )],
        )
    } else {
        // Semantic conventions: unknown methods are "_OTHER" and the span is named "HTTP".
        (
            "HTTP".to_string(),
            vec![
                KeyValue::new("http.request.method", "_OTHER"),
                KeyValue::new("http.request.method_original", method.as_str().to_string()),
            ],
        )
    }
}

async fn handle(
    req: Request<Incoming>,
    app: Arc<App>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    if path == "/healthz" && (req.method() == Method::GET || req.method() == Method::HEAD) {
        return Ok(respond(StatusCode::OK, "text/plain", "ok"));
    }

    let parent = app.propagator.extract(&HeaderExtractor(req.headers()));
    let route = (path == "/inventory").then_some("/inventory");
    let (method_name, mut attributes) = method_attributes(req.method());
    let (address, port) = server_address(req.headers(), app.local);
    let version = match req.version() {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    };
    attributes.extend([
        KeyValue::new("url.path", path.clone()),
        KeyValue::new("url.scheme", "http"),
        KeyValue::new("server.address", address),
        KeyValue::new("server.port", port),
        KeyValue::new("network.protocol.version", version),
        KeyValue::new("client.address", peer.ip().to_string()),
    ]);
    if let Some(query) = req.uri().query() {
        attributes.push(KeyValue::new("url.query", query.to_string()));
    }
    if let Some(agent) = req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok()) {
        attributes.push(KeyValue::new("user_agent.original", agent.to_string()));
    }
    let name = match route {
        Some(route) => {
            attributes.push(KeyValue::new("http.route", route));
            format!("{method_name} {route}")
        }
        None => method_name,
    };
    let span = app
        .tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&app.tracer, &parent);
    let cx = parent.with_span(span);

    let response = match (route, req.method()) {
        (Some(_), &Method::GET) => inventory(&app, &cx, req.uri().query().unwrap_or("")),
        (Some(_), _) => {
            let mut r = json_response(StatusCode::METHOD_NOT_ALLOWED, json!({"error": "only GET"}));
            r.headers_mut()
                .insert("allow", HeaderValue::from_static("GET"));
            r
        }
        (None, _) => json_response(StatusCode::NOT_FOUND, json!({"error": "not found"})),
    };

    let status = response.status();
    let span = cx.span();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        status.as_u16() as i64,
    ));
    if status.is_server_error() {
        span.set_attribute(KeyValue::new("error.type", status.as_u16().to_string()));
        span.set_status(Status::error(
            status.canonical_reason().unwrap_or("server error"),
        ));
    }
    span.end();
    Ok(response)
}

fn inventory(app: &App, cx: &Context, query: &str) -> Response<Body> {
    let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let Some(item) = params.get("item").filter(|i| !i.is_empty()) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "item is required"}),
        );
    };
    let requested = match params.get("qty").map(|q| q.parse::<i64>()) {
        None => 1,
        Some(Ok(n)) if n >= 0 => n,
        Some(_) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"error": "qty must be a non-negative integer"}),
            )
        }
    };

    let mut span = app
        .tracer
        .span_builder("check-stock")
        .with_kind(SpanKind::Internal)
        .start_with_context(&app.tracer, cx);
    let in_stock = stock_of(item);
    let available = in_stock >= requested;
    span.set_attributes([
        KeyValue::new("inventory.item", item.clone()),
        KeyValue::new("inventory.requested", requested),
        KeyValue::new("inventory.in_stock", in_stock),
        KeyValue::new("inventory.available", available),
    ]);
    span.end();

    // Written by hand to keep the documented key order (serde_json sorts keys).
    let body = format!(
        r#"{{"item":{},"available":{available},"in_stock":{in_stock}}}"#,
        serde_json::Value::from(item.as_str())
    );
    respond(StatusCode::OK, "application/json", body)
}

// ---------------------------------------------------------------- main

async fn serve(listener: TcpListener, app: Arc<App>) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        eprintln!("inventory-service: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let app = app.clone();
                let mut stop = stop_rx.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(req, app.clone(), peer));
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        result = conn.as_mut() => { let _ = result; }
                        _ = stop.changed() => {
                            // Finish the request in flight, then close.
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(listener); // stop accepting
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        eprintln!(
            "inventory-service: connections still open after {DRAIN_TIMEOUT:?}, closing them"
        );
        connections.abort_all();
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = match env_nonempty("PORT").map(|p| p.trim().parse::<u16>()) {
        None => DEFAULT_PORT,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("inventory-service: PORT: {e}");
            return ExitCode::from(2);
        }
    };
    let (provider, endpoint, failing) = match tracer_provider() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("inventory-service: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("inventory-service: listening on 127.0.0.1:{port}: {e}");
            let _ = provider.shutdown();
            return ExitCode::FAILURE;
        }
    };
    let local = listener
        .local_addr()
        .expect("a bound socket has an address");
    let tracer = provider.tracer_with_scope(
        InstrumentationScope::builder(SERVICE_NAME)
            .with_version(SERVICE_VERSION)
            .build(),
    );
    let app = Arc::new(App {
        tracer,
        propagator: propagator(),
        local,
    });
    eprintln!("inventory-service: listening on http://{local}, exporting OTLP/HTTP to {endpoint}");

    if let Err(e) = serve(listener, app).await {
        eprintln!("inventory-service: {e}");
    }
    // Shutdown exports what is queued; it blocks, so not on a runtime thread.
    // (The batch processor's shutdown succeeds even when that export fails.)
    match tokio::task::spawn_blocking(move || provider.shutdown()).await {
        Ok(Ok(())) if failing.load(Ordering::Relaxed) => {
            eprintln!("inventory-service: stopped; the last export failed, its spans are lost")
        }
        Ok(Ok(())) => eprintln!("inventory-service: stopped, spans flushed"),
        Ok(Err(e)) => eprintln!("inventory-service: stopped; tracer provider shutdown: {e}"),
        Err(e) => eprintln!("inventory-service: stopped; tracer provider shutdown: {e}"),
    }
    ExitCode::SUCCESS
}

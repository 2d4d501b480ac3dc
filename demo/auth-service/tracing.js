'use strict';
// OpenTelemetry setup, loaded before the app with `node --require ./tracing.js app.js` so the
// auto-instrumentations patch http, express and pg before app.js requires them.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');

const attributes = { 'service.version': '1.0.0', 'deployment.environment': 'demo' };
// DEMO_FAULT=no-service-name reproduces the "forgot service.name" pitfall: the SDK then reports
// unknown_service:<process>, and the spans are hard to attribute in the trace view.
if (process.env.DEMO_FAULT !== 'no-service-name') {
  attributes['service.name'] = 'auth-service';
}

const sdk = new NodeSDK({
  // defaultResource() brings telemetry.sdk.* (language nodejs) and the unknown_service:<process>
  // fallback name, which NodeSDK leaves out once a resource is given.
  resource: defaultResource().merge(resourceFromAttributes(attributes)),
  // OTLP/HTTP protobuf to ${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces (default http://localhost:4318),
  // through a BatchSpanProcessor (OTEL_BSP_SCHEDULE_DELAY applies).
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [
    getNodeAutoInstrumentations({
      // Socket- and DNS-level spans would bury the interesting ones (express, pg).
      '@opentelemetry/instrumentation-net': { enabled: false },
      '@opentelemetry/instrumentation-dns': { enabled: false },
      // start.sh polls /healthz; those requests are not worth a trace each.
      '@opentelemetry/instrumentation-http': {
        ignoreIncomingRequestHook: (req) => req.url === '/healthz',
        // The propagation headers received, on the server span (http.request.header.*): a broken
        // hop's report can then say which formats the caller sent (start.sh sets the list).
        headersToSpanAttributes: {
          server: { requestHeaders: (process.env.PROPAGATION_HEADERS || '').split(',').filter(Boolean) },
        },
      },
      // DB spans only inside a request: the untraced /healthz probe's SELECT 1 makes none.
      '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
    }),
  ],
});
sdk.start();

// Flush buffered spans on a normal stop (stop.sh sends SIGTERM).
const shutdown = () => sdk.shutdown().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

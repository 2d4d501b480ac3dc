'use strict';
// OpenTelemetry setup, loaded before the app with `node --require ./tracing.js app.js` so the
// instrumentations are registered before any instrumented module is required.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');

const sdk = new NodeSDK({
  // defaultResource() brings telemetry.sdk.* (language nodejs), which NodeSDK leaves out once a
  // resource is given.
  resource: defaultResource().merge(resourceFromAttributes({
    'service.name': 'notification-service',
    'service.version': '1.0.0',
    'deployment.environment': 'demo',
  })),
  // OTLP/HTTP protobuf to ${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces (default http://localhost:4318),
  // through a BatchSpanProcessor (OTEL_BSP_SCHEDULE_DELAY applies).
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [
    getNodeAutoInstrumentations({
      // Off on purpose: the trace must be joined by app.js's own propagation.extract() from the
      // Kafka record headers, which is what the demo shows (and what DEMO_FAULT=no-injection breaks).
      '@opentelemetry/instrumentation-kafkajs': { enabled: false },
      // Socket- and DNS-level spans would only add noise around the Kafka connections.
      '@opentelemetry/instrumentation-net': { enabled: false },
      '@opentelemetry/instrumentation-dns': { enabled: false },
      // start.sh polls /healthz; those requests are not worth a trace each.
      '@opentelemetry/instrumentation-http': {
        ignoreIncomingRequestHook: (req) => req.url === '/healthz',
      },
    }),
  ],
});
sdk.start();

// app.js calls this on SIGTERM after leaving the consumer group, so buffered spans are flushed.
module.exports = { shutdown: () => sdk.shutdown() };

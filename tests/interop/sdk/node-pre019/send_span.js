// One span through the OTLP/HTTP (JSON) exporter of the JS SDK of October
// 2021, which speaks OTLP before 0.19: its requests carry
// instrumentationLibrarySpans / instrumentationLibrary.
// usage: node send_span.js URL SERVICE
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { Resource } = require('@opentelemetry/resources');

const [url, service] = process.argv.slice(2);
const provider = new BasicTracerProvider({ resource: new Resource({ 'service.name': service }) });
provider.addSpanProcessor(new SimpleSpanProcessor(new OTLPTraceExporter({ url })));
provider.getTracer('legacy.instrumentation', '0.1.0').startSpan('old-sdk span').end();
provider.shutdown().then(() => console.log('sent'), (e) => { console.error(e); process.exit(1); });

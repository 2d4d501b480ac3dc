// Sends a fixed set of spans covering every field the JS SDK's API can set,
// through the official OTLP exporter (http/json or http/protobuf), and writes
// what the SDK itself recorded (its in-memory exporter) in canonical form.
//
// usage: node send_spans.js --endpoint URL --protocol http/json|http/protobuf --run-id ID --out FILE
'use strict';
const fs = require('fs');
const api = require('@opentelemetry/api');
const { TraceState } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const {
  BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter,
} = require('@opentelemetry/sdk-trace-base');

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

function exporterFor(protocol, endpoint) {
  const url = endpoint.replace(/\/$/, '') + '/v1/traces';
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url });
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

const toHr = (ns) => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
const fromHr = (t) => (BigInt(t[0]) * 1000000000n + BigInt(t[1])).toString();

function emit(tracer) {
  const base = BigInt(Date.now()) * 1000000n - 60000000000n;
  const at = (offset) => toHr(base + BigInt(offset));
  const remote = {
    traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', isRemote: true,
    traceFlags: api.TraceFlags.SAMPLED,
    traceState: new TraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
  };
  const ctx = api.trace.setSpanContext(api.context.active(), remote);
  const root = tracer.startSpan('GET /kitchen-sink ünïcode ✓', {
    kind: api.SpanKind.SERVER, startTime: at(0),
    attributes: {
      str: 'value', empty: '', bool: true, int: 42, negative: -123456789, double: 3.25,
      'non.ascii': 'héllo wörld ✓ 日本', 'arr.str': ['a', '', 'ü'], 'arr.bool': [true, false],
      'arr.int': [1, -2, 3], 'arr.double': [1.5, -0.25],
    },
  }, ctx);
  root.addEvent('cache.miss', { 'cache.key': 'user:42', attempt: 2 }, at(1000));
  root.addEvent('no-attributes', at(2000));
  root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom: payment declined' });
  const rootCtx = api.trace.setSpan(api.context.active(), root);
  const linked = {
    traceId: '11111111111111111111111111111111', spanId: '2222222222222222', isRemote: true,
    traceFlags: api.TraceFlags.NONE, traceState: new TraceState('vendor=x'),
  };
  const client = tracer.startSpan('call downstream', {
    kind: api.SpanKind.CLIENT, startTime: at(10000),
    links: [{ context: linked, attributes: { 'link.reason': 'retry-of', n: 1 } }],
  }, rootCtx);
  client.setStatus({ code: api.SpanStatusCode.OK });
  client.end(at(20000));
  [api.SpanKind.PRODUCER, api.SpanKind.CONSUMER, api.SpanKind.INTERNAL].forEach((kind, i) => {
    tracer.startSpan(`kind-${kind}`, { kind, startTime: at(30000 + i) }, rootCtx).end(at(40000 + i));
  });
  tracer.startSpan('zero-length', { startTime: at(50000) }, rootCtx).end(at(50000));
  tracer.startSpan('ten-hours', { startTime: toHr(base - 36000000000000n) }, rootCtx).end(at(0));
  const links = [];
  for (let i = 0; i < 7; i++) links.push({ context: linked, attributes: { i } });
  const overflow = tracer.startSpan('over-the-limits', { startTime: at(60000), links }, rootCtx);
  for (let i = 0; i < 20; i++) overflow.setAttribute(`attr.${String(i).padStart(2, '0')}`, i);
  for (let i = 0; i < 7; i++) overflow.addEvent(`event-${i}`, at(60000 + i));
  overflow.end(at(70000));
  root.end(at(100000));
}

function value(v) {
  if (typeof v === 'boolean') return ['bool', v];
  if (typeof v === 'number') return Number.isInteger(v) ? ['int', v] : ['double', v];
  if (typeof v === 'string') return ['string', v];
  return ['array', v.map(value)];
}
const attrs = (a) => Object.fromEntries(Object.entries(a || {}).map(([k, v]) => [k, value(v)]));
// The JS OTLP transformer sends W3C trace flags plus the is-remote bits.
const flags = (traceFlags, remote) => (traceFlags & 0xff) | 0x100 | (remote ? 0x200 : 0);

function canonical(s) {
  const ctx = s.spanContext();
  const parent = s.parentSpanContext;
  return {
    trace_id: ctx.traceId, span_id: ctx.spanId, parent_span_id: parent ? parent.spanId : '',
    trace_state: ctx.traceState ? ctx.traceState.serialize() : '', name: s.name,
    kind: s.kind + 1, start: fromHr(s.startTime), end: fromHr(s.endTime),
    attributes: attrs(s.attributes),
    events: s.events.map((e) => ({ name: e.name, time: fromHr(e.time), attributes: attrs(e.attributes) })),
    links: s.links.map((l) => ({
      trace_id: l.context.traceId, span_id: l.context.spanId,
      trace_state: l.context.traceState ? l.context.traceState.serialize() : '',
      flags: flags(l.context.traceFlags, l.context.isRemote), attributes: attrs(l.attributes),
    })),
    status: { code: s.status.code, message: s.status.message || '' },
    dropped_attributes_count: s.droppedAttributesCount,
    dropped_events_count: s.droppedEventsCount,
    dropped_links_count: s.droppedLinksCount,
    flags: flags(ctx.traceFlags, parent ? parent.isRemote : false),
    resource: attrs(s.resource.attributes),
    scope: { name: s.instrumentationScope.name, version: s.instrumentationScope.version || '' },
  };
}

async function main() {
  const a = args();
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'interop-node', 'run.id': a['run-id'], 'héllo': 'wörld ✓ 日本',
      'deployment.environment': 'test',
    }),
    spanLimits: { attributeCountLimit: 16, eventCountLimit: 5, linkCountLimit: 5 },
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporterFor(a.protocol, a.endpoint))],
  });
  const tracer = provider.getTracer('interop.node', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  emit(tracer);
  await provider.forceFlush();
  // Read before shutdown: shutting the in-memory exporter down clears it.
  // Nanosecond times exceed 2^53, so they are written as decimal strings.
  const spans = memory.getFinishedSpans().map(canonical);
  await provider.shutdown();
  spans.sort((x, y) => (x.span_id < y.span_id ? -1 : 1));
  fs.writeFileSync(a.out, JSON.stringify({ spans }, null, 1));
}

main().catch((e) => { console.error(e); process.exit(1); });

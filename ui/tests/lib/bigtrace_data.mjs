// The big traces of the UI benchmarks (tests/bigtrace.mjs for polytrace's UI,
// tests/bigtrace_jaeger.mjs for Jaeger UI): an n-span trace built deterministically apart from
// its trace id and start time, sent to an OTLP/HTTP receiver in chunks of at most 10,000 spans
// so that no request body passes the receiver's 20 MiB limit. Two shapes (BIGTRACE_SHAPE):
//   tree (default)  a balanced 8-ary tree over eight services, two attributes a span;
//   wide            as loops and batch jobs make them: five services, ten attributes a span, a
//                   root with 2,000 children, 50 hubs with thousands each, the rest a ternary
//                   tree (depth about 15 at a million spans); polytrace-loadgen's `bigtrace`.

const CHUNK = 10_000;
const MAX_BODY = 20 * 1024 * 1024;
const FANOUT = 8;

const SERVICES = [
  ['edge-gateway', 'go'], ['accounts', 'java'], ['ledger', 'cpp'], ['search', 'python'],
  ['notifier', 'nodejs'], ['pricing', 'dotnet'], ['inventory', 'rust'], ['audit', 'ruby'],
];

/** The span counts to measure: BIGTRACE_SIZES (comma-separated), else 1k, 10k and 100k. */
export const bigtraceSizes = (env = process.env) =>
  (env.BIGTRACE_SIZES || '1000,10000,100000').split(',').map(Number).filter((n) => n > 0);

/** The trace shape to send: BIGTRACE_SHAPE, `tree` (default) or `wide`. */
export const bigtraceShape = (env = process.env) => (env.BIGTRACE_SHAPE === 'wide' ? 'wide' : 'tree');

/** How long one page load or wait may take: BIGTRACE_TIMEOUT_MS, else 10 minutes. */
export const bigtraceTimeoutMs = (env = process.env) => Number(env.BIGTRACE_TIMEOUT_MS || 600_000);

const hex = (n, width) => n.toString(16).padStart(width, '0');
const randomHex = (bytes) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => hex(b, 2)).join('');

/**
 * Span i of an n-span trace: an 8-ary tree (parent of i is (i-1)/8), each child inside its
 * parent's time window, services changing every level, a few errors and events.
 */
function makeSpan(traceId, i, startNs, windows) {
  const [s, e] = windows[i];
  const parent = i === 0 ? '' : hex(Math.floor((i - 1) / FANOUT) + 1, 16);
  const depth = i === 0 ? 0 : Math.floor(Math.log((i * (FANOUT - 1)) + 1) / Math.log(FANOUT));
  const span = {
    traceId,
    spanId: hex(i + 1, 16),
    parentSpanId: parent,
    name: `op-${depth}-${i % 50}`,
    kind: i === 0 ? 2 : (i % 4) + 1,
    startTimeUnixNano: String(startNs + BigInt(Math.round(s))),
    endTimeUnixNano: String(startNs + BigInt(Math.round(e))),
    attributes: [
      { key: 'bench.index', value: { intValue: String(i) } },
      { key: 'bench.note', value: { stringValue: `span ${i} at depth ${depth}` } },
    ],
    status: i % 997 === 0 && i > 0 ? { code: 2, message: 'synthetic failure' } : {},
  };
  if (i % 101 === 0) span.events = [{ timeUnixNano: span.startTimeUnixNano, name: 'checkpoint', attributes: [] }];
  return { span, service: SERVICES[depth % SERVICES.length] };
}

const WIDE_SERVICES = [['gateway', 'go'], ['auth', 'java'], ['recommendation', 'python'], ['payment', 'nodejs'], ['notification', 'cpp']];
const WIDE_ROUTES = ['GET /api/checkout', 'POST auth/verify', 'POST /verify', 'GET recommendation/list', 'GET /recommendations', 'POST payment/charge', 'POST /charge', 'notification.send process'];

/** The parent of span i in the wide shape (always an earlier span). */
function wideParent(i) {
  if (i === 0) return -1;
  if (i <= 2000) return 0;
  if (i % 10 === 0) return 1 + (Math.floor(i / 10) % 50);
  if (i === 2001) return 1;
  return 2001 + Math.floor((i - 2001) / 3);
}

function makeWideSpan(traceId, i, startNs) {
  const parent = wideParent(i);
  const route = WIDE_ROUTES[i % WIDE_ROUTES.length];
  const server = i % 2 === 0;
  const error = i % 97 === 0 && i > 0;
  const start = startNs + BigInt(i * 1000);
  const span = {
    traceId,
    spanId: hex(i + 1, 16),
    parentSpanId: parent < 0 ? '' : hex(parent + 1, 16),
    name: route,
    kind: server ? 2 : 3,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + BigInt(200_000 + ((i * 7919) % 800_000))),
    attributes: [
      { key: 'http.request.method', value: { stringValue: route.startsWith('GET') ? 'GET' : 'POST' } },
      { key: 'http.route', value: { stringValue: route } },
      { key: 'http.response.status_code', value: { intValue: error ? '500' : '200' } },
      { key: 'user.id', value: { stringValue: `user-${(i * 48271) % 50000}` } },
      { key: server ? 'server.address' : 'peer.service', value: { stringValue: WIDE_SERVICES[i % 5][0] } },
      { key: 'network.peer.address', value: { stringValue: `10.0.${i % 4}.${i % 251}` } },
      { key: 'code.function', value: { stringValue: server ? 'handle' : 'call' } },
      { key: 'thread.id', value: { intValue: String(i % 32) } },
      { key: 'app.cart.items', value: { intValue: String(i % 20) } },
      { key: 'app.region', value: { stringValue: 'eu-west-1' } },
    ],
    status: error ? { code: 2, message: 'payment declined' } : {},
  };
  if (server) span.events = [{ timeUnixNano: String(start + 1000n), name: error ? 'exception' : 'request.received', attributes: [] }];
  return { span, service: WIDE_SERVICES[i % 5] };
}

function timeWindows(n) {
  const w = new Array(n);
  w[0] = [0, 10e9];
  for (let i = 1; i < n; i++) {
    const p = Math.floor((i - 1) / FANOUT);
    const k = (i - 1) % FANOUT;
    const [ps, pe] = w[p];
    const slot = (pe - ps) / FANOUT;
    w[i] = [ps + k * slot + slot * 0.05, ps + (k + 1) * slot - slot * 0.05];
  }
  return w;
}

/**
 * The span id of the last row of an n-span trace fully expanded in depth-first order with
 * children by start time: the last child of the last child... of the root.
 */
export function lastSpanIdInTreeOrder(n, shape = bigtraceShape()) {
  // wide: the root's last child, span 2000 (or the last span), has no children of its own.
  if (shape === 'wide') return hex(Math.min(n - 1, 2000) + 1, 16);
  let i = 0;
  while (FANOUT * i + 1 < n) i = Math.min(FANOUT * i + FANOUT, n - 1);
  return hex(i + 1, 16);
}

/** Sends an n-span trace to `${otlpBase}/v1/traces` (OTLP/JSON) and returns its trace id. */
export async function sendTrace(otlpBase, n, shape = bigtraceShape()) {
  const traceId = randomHex(16);
  const startNs = BigInt(Date.now()) * 1_000_000n - 20_000_000_000n;
  const windows = shape === 'tree' ? timeWindows(n) : null;
  const chunk = shape === 'tree' ? CHUNK : CHUNK / 2;
  for (let from = 0; from < n; from += chunk) {
    const byService = new Map();
    for (let i = from; i < Math.min(n, from + chunk); i++) {
      const { span, service } = shape === 'tree' ? makeSpan(traceId, i, startNs, windows) : makeWideSpan(traceId, i, startNs);
      const key = service[0];
      if (!byService.has(key)) byService.set(key, { service, spans: [] });
      byService.get(key).spans.push(span);
    }
    const body = JSON.stringify({
      resourceSpans: [...byService.values()].map(({ service: [name, lang], spans }) => ({
        resource: { attributes: [
          { key: 'service.name', value: { stringValue: name } },
          { key: 'telemetry.sdk.language', value: { stringValue: lang } },
          { key: 'telemetry.sdk.name', value: { stringValue: 'bigtrace' } },
        ] },
        scopeSpans: [{ scope: { name: 'bigtrace', version: '1' }, spans }],
      })),
    });
    if (body.length > MAX_BODY) throw new Error(`chunk of ${chunk} spans is ${body.length} bytes, over 20 MiB`);
    const res = await fetch(`${otlpBase}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!res.ok) throw new Error(`POST ${otlpBase}/v1/traces: ${res.status} ${await res.text()}`);
  }
  return traceId;
}

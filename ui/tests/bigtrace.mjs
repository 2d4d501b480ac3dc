#!/usr/bin/env node
// Big-trace benchmark: builds traces of 1k, 10k, 100k (and, with BIGTRACE_SIZES, 1M) spans,
// sends them to polytrace's OTLP/HTTP receiver in chunks of at most 10,000 spans, opens each in
// the UI in headless Chromium and prints one JSON line per size:
//   firstPaintMs    navigation start → the first span row is on screen
//   interactiveMs   navigation start → a click on the root's toggle has collapsed the tree
//   settledMs       navigation start → end of the last long task near the first paint
//   fetchMs/buildMs when the download / the model build finished (navigation-relative)
//   collapseMs, expandMs, collapseAllMs, expandAllMs, scrollEndMs   latencies of those actions
//   heapMB          JS heap in use after a garbage collection, trace open
//
//   POLYTRACE_URL   the UI's base URL (polytrace's query server or `vite preview`)
//   POLYTRACE_OTLP  the OTLP/HTTP endpoint, e.g. http://127.0.0.1:24318
//   BIGTRACE_SIZES  comma-separated span counts (default 1000,10000,100000)
import { launch } from './lib/browser.mjs';

const BASE = (process.env.POLYTRACE_URL || '').replace(/\/$/, '');
const OTLP = (process.env.POLYTRACE_OTLP || '').replace(/\/$/, '');
const SIZES = (process.env.BIGTRACE_SIZES || '1000,10000,100000').split(',').map(Number).filter((n) => n > 0);
const CHUNK = 10_000;
const MAX_BODY = 20 * 1024 * 1024;
const FANOUT = 8;
const TIMEOUT = Number(process.env.BIGTRACE_TIMEOUT_MS || 600_000);

if (!BASE || !OTLP) {
  console.error('bigtrace: set POLYTRACE_URL and POLYTRACE_OTLP (see the header of tests/bigtrace.mjs)');
  process.exit(2);
}

const SERVICES = [
  ['edge-gateway', 'go'], ['accounts', 'java'], ['ledger', 'cpp'], ['search', 'python'],
  ['notifier', 'nodejs'], ['pricing', 'dotnet'], ['inventory', 'rust'], ['audit', 'ruby'],
];

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

async function sendTrace(n) {
  const traceId = randomHex(16);
  const startNs = BigInt(Date.now()) * 1_000_000n - 20_000_000_000n;
  const windows = timeWindows(n);
  for (let from = 0; from < n; from += CHUNK) {
    const byService = new Map();
    for (let i = from; i < Math.min(n, from + CHUNK); i++) {
      const { span, service } = makeSpan(traceId, i, startNs, windows);
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
    if (body.length > MAX_BODY) throw new Error(`chunk of ${CHUNK} spans is ${body.length} bytes, over 20 MiB`);
    const res = await fetch(`${OTLP}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!res.ok) throw new Error(`POST ${OTLP}/v1/traces: ${res.status} ${await res.text()}`);
  }
  return traceId;
}

// Runs in the page: records when the first span row is painted and, as soon as the page is
// free after that, clicks the root's toggle (the first interaction) — and every change of the
// row count with the frame that painted it.
const PAGE_PROBE = () => {
  window.__bench = { firstRowAt: 0, firstClickAt: 0, rowChanges: [], longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push([e.startTime, e.startTime + e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  let last = -1;
  const check = () => {
    const rows = document.querySelectorAll('[data-testid="span-row"]');
    if (rows.length && !window.__bench.firstRowAt) {
      window.__bench.firstRowAt = -1;
      requestAnimationFrame(() => {
        window.__bench.firstRowAt = performance.now();
        setTimeout(() => {
          window.__bench.firstClickAt = performance.now();
          document.querySelector('[data-testid="span-row"] [data-testid="span-toggle"]').click();
        }, 0);
      });
    }
    if (rows.length !== last) {
      last = rows.length;
      const at = performance.now();
      requestAnimationFrame(() => window.__bench.rowChanges.push({ n: rows.length, at, paintedAt: performance.now() }));
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
};

async function measure(page, cdp, traceId, n) {
  await page.goto('about:blank');
  await cdp.send('HeapProfiler.collectGarbage');
  await page.goto(`${BASE}/trace/${traceId}`, { timeout: TIMEOUT });
  await page.waitForFunction(() => window.__bench?.firstRowAt > 0, null, { timeout: TIMEOUT, polling: 100 });
  const spans = await page.locator('[data-testid="trace-spans"]').textContent();
  if (Number(spans.replace(/\D/g, '')) !== n) throw new Error(`the trace shows ${spans} spans, expected ${n}`);
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])));
  await page.waitForFunction(() => window.__bench.firstRowAt > 0, null, { timeout: TIMEOUT });
  const firstPaintMs = await page.evaluate(() => window.__bench.firstRowAt);

  // Interactive: the first click, made by the probe as soon as the page was free, took effect.
  const changeAfter = (t) =>
    page.waitForFunction((since) => window.__bench.rowChanges.find((c) => c.at > since), t, { timeout: TIMEOUT, polling: 'raf' }).then((h) => h.jsonValue());
  await page.waitForFunction(() => window.__bench.firstClickAt > 0, null, { timeout: TIMEOUT });
  const clickAt = await page.evaluate(() => window.__bench.firstClickAt);
  const interactiveMs = (await changeAfter(clickAt)).paintedAt;
  const clickIn = (selector) =>
    page.evaluate((sel) => {
      const t = performance.now();
      document.querySelector(sel).click();
      return t;
    }, selector);
  const now = () => page.evaluate(() => performance.now());
  const ROOT_TOGGLE = '[data-testid="span-row"] [data-testid="span-toggle"]';
  let t = await clickIn(ROOT_TOGGLE); // expand again
  const expandMs = (await changeAfter(t)).paintedAt - t;
  t = await clickIn(ROOT_TOGGLE);
  const collapseMs = (await changeAfter(t)).paintedAt - t;
  t = await clickIn(ROOT_TOGGLE);
  await changeAfter(t);

  t = await clickIn('[data-testid="collapse-all"]');
  const collapseAllMs = (await changeAfter(t)).paintedAt - t;
  t = await clickIn('[data-testid="expand-all"]');
  const expandAllMs = (await changeAfter(t)).paintedAt - t;
  const rowsHeader = await page.locator('.wf-head-name').textContent();

  // Scroll to the last row (all n rows are shown after expand-all).
  t = await page.locator('[data-testid="waterfall"]').evaluate((el) => {
    const t0 = performance.now();
    el.scrollTop = el.scrollHeight;
    return t0;
  });
  await page.waitForSelector(`[data-testid="waterfall"] .vl-row[data-index="${n - 1}"]`, { timeout: TIMEOUT });
  const scrollEndMs = (await now()) - t;
  // Settled: the end of the last long task (> 50 ms) that began within 5 s of the first paint
  // (the critical path of a big trace is worked out just after it).
  const settledMs = await page.evaluate((fp) => Math.max(fp, ...window.__bench.longTasks.filter(([s]) => s < fp + 5000).map(([, e]) => e)), firstPaintMs);
  const domRows = await page.locator('[data-testid="span-row"]').count();
  if (domRows > 200) throw new Error(`${domRows} rows in the DOM: the list is not virtualised`);

  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  return {
    spans: n,
    firstPaintMs: Math.round(firstPaintMs),
    interactiveMs: Math.round(interactiveMs),
    settledMs: Math.round(settledMs),
    fetchMs: Math.round(marks['trace-fetched'] ?? NaN),
    renderedMs: Math.round(marks['trace-rendered'] ?? NaN),
    buildMs: Math.round(marks['trace-built'] ?? NaN),
    collapseMs: Math.round(collapseMs),
    expandMs: Math.round(expandMs),
    collapseAllMs: Math.round(collapseAllMs),
    expandAllMs: Math.round(expandAllMs),
    scrollEndMs: Math.round(scrollEndMs),
    heapMB: Math.round(heap.usedSize / 1048576),
    rows: rowsHeader?.match(/\(([^)]*)\)/)?.[1],
  };
}

const { page, context, close } = await launch();
page.setDefaultTimeout(TIMEOUT);
await page.addInitScript(PAGE_PROBE);
const cdp = await context.newCDPSession(page);
let failed = 0;
for (const n of SIZES) {
  try {
    const t0 = Date.now();
    const traceId = await sendTrace(n);
    const sendMs = Date.now() - t0;
    const result = await measure(page, cdp, traceId, n);
    console.log(JSON.stringify({ ...result, traceId, sendMs }));
  } catch (e) {
    failed++;
    console.log(JSON.stringify({ spans: n, error: e.message.split('\n')[0] }));
  }
}
await close();
process.exit(failed ? 1 : 0);

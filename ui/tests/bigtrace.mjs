#!/usr/bin/env node
// Big-trace benchmark: builds traces of 1k, 10k, 100k (and, with BIGTRACE_SIZES, 1M) spans,
// sends them to polytrace's OTLP/HTTP receiver in chunks of at most 10,000 spans, opens each in
// the UI in headless Chromium and prints one JSON line per size:
//   firstPaintMs    navigation start → the first span row is on screen
//   interactiveMs   navigation start → a click on the root's toggle has collapsed the tree (on
//                   the first spans of a big trace, shown while the rest streams in)
//   provisionalMs   when the first spans' model was built (navigation-relative; none for small traces)
//   completeMs      navigation start → every span is in the tree, the first click still holding
//   settledMs       navigation start → end of the last long task near the first paint
//   fetchMs/buildMs when the download / the model build finished (navigation-relative)
//   collapseMs, expandMs, collapseAllMs, expandAllMs, scrollEndMs   latencies of those actions
//   heapMB          JS heap in use after a garbage collection, trace open
//   arrayBuffersMB  the typed arrays' memory besides (outside the JS heap), when Chromium says
//
//   POLYTRACE_URL   the UI's base URL (polytrace's query server or `vite preview`)
//   POLYTRACE_OTLP  the OTLP/HTTP endpoint, e.g. http://127.0.0.1:24318
//   BIGTRACE_SIZES  comma-separated span counts (default 1000,10000,100000)
//   BIGTRACE_SHAPE  tree (default) or wide (tests/lib/bigtrace_data.mjs)
import { launch } from './lib/browser.mjs';
import { PAGE_PROBE } from './lib/bigtrace_probe.mjs';
import { bigtraceSizes, bigtraceTimeoutMs, sendTrace } from './lib/bigtrace_data.mjs';

const BASE = (process.env.POLYTRACE_URL || '').replace(/\/$/, '');
const OTLP = (process.env.POLYTRACE_OTLP || '').replace(/\/$/, '');
const SIZES = bigtraceSizes();
const TIMEOUT = bigtraceTimeoutMs();

if (!BASE || !OTLP) {
  console.error('bigtrace: set POLYTRACE_URL and POLYTRACE_OTLP (see the header of tests/bigtrace.mjs)');
  process.exit(2);
}

const ROW = '[data-testid="span-row"]';
const ROOT_TOGGLE = `${ROW} [data-testid="span-toggle"]`;

async function measure(page, cdp, traceId, n) {
  await page.goto('about:blank');
  await cdp.send('HeapProfiler.collectGarbage');
  await page.goto(`${BASE}/trace/${traceId}`, { timeout: TIMEOUT });
  await page.waitForFunction(() => window.__bench?.firstRowAt > 0, null, { timeout: TIMEOUT, polling: 100 });
  const firstPaintMs = await page.evaluate(() => window.__bench.firstRowAt);

  // Interactive: the first click, made by the probe as soon as the page was free, took effect —
  // on the first spans of a big trace, shown while the rest streams in.
  const changeAfter = (t) =>
    page.waitForFunction((since) => window.__bench.rowChanges.find((c) => c.at > since), t, { timeout: TIMEOUT, polling: 'raf' }).then((h) => h.jsonValue());
  await page.waitForFunction(() => window.__bench.firstClickAt > 0, null, { timeout: TIMEOUT });
  const clickAt = await page.evaluate(() => window.__bench.firstClickAt);
  const interactiveMs = (await changeAfter(clickAt)).paintedAt;

  // Complete: every span arrived and is in the tree; the first click still holds there (the
  // root stays collapsed: one row).
  await page.waitForFunction(
    (want) => !document.querySelector('[data-testid="trace-streaming"]') && Number(document.querySelector('[data-testid="trace-spans"]')?.textContent.replace(/\D/g, '')) === want,
    n,
    { timeout: TIMEOUT, polling: 50 },
  );
  const completeMs = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(performance.now()))));
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])));
  const rowsAfterClick = await page.locator(ROW).count();
  if (rowsAfterClick !== 1) throw new Error(`${rowsAfterClick} rows once the whole trace arrived: the first click (collapse the root) was lost`);
  const clickIn = (selector) =>
    page.evaluate((sel) => {
      const t = performance.now();
      document.querySelector(sel).click();
      return t;
    }, selector);
  const now = () => page.evaluate(() => performance.now());
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
  const domRows = await page.locator(ROW).count();
  if (domRows > 200) throw new Error(`${domRows} rows in the DOM: the list is not virtualised`);

  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  return {
    spans: n,
    firstPaintMs: Math.round(firstPaintMs),
    interactiveMs: Math.round(interactiveMs),
    provisionalMs: Math.round(marks['trace-provisional'] ?? NaN),
    completeMs: Math.round(completeMs),
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
    arrayBuffersMB: heap.backingStorageSize === undefined ? undefined : Math.round(heap.backingStorageSize / 1048576),
    rows: rowsHeader?.match(/\(([^)]*)\)/)?.[1],
  };
}

const { page, context, close } = await launch();
page.setDefaultTimeout(TIMEOUT);
await page.addInitScript(PAGE_PROBE, { row: ROW, rootToggle: ROOT_TOGGLE });
const cdp = await context.newCDPSession(page);
let failed = 0;
for (const n of SIZES) {
  try {
    const t0 = Date.now();
    const traceId = await sendTrace(OTLP, n);
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

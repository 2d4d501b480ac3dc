#!/usr/bin/env node
// Big-trace benchmark for Jaeger UI, to set beside tests/bigtrace.mjs: the same traces (see
// lib/bigtrace_data.mjs) sent to a polytrace that serves a build of Jaeger UI as its UI
// (bench/jaeger_ui_build.sh, then the ui_directory of the polytrace_query extension), opened at
// /trace/{id}, where Jaeger UI reads polytrace's Jaeger API (/api/traces/{id}). One JSON line
// per size, with the fields of tests/bigtrace.mjs that Jaeger UI has:
//   firstPaintMs    navigation start → the first span row is on screen
//   interactiveMs   navigation start → a click on the root's toggle has collapsed the tree
//   settledMs       navigation start → end of the last long task near the first paint
//   fetchMs         navigation start → the trace's JSON downloaded (resource timing)
//   collapseMs, expandMs, collapseAllMs, expandAllMs, scrollEndMs   latencies of those actions
//   heapMB          JS heap in use after a garbage collection, trace open
//
//   JAEGER_UI_URL   the base URL of the polytrace serving Jaeger UI
//   POLYTRACE_OTLP  that polytrace's OTLP/HTTP endpoint
//   BIGTRACE_SIZES  comma-separated span counts (default 1000,10000,100000)
import { launch } from './lib/browser.mjs';
import { PAGE_PROBE } from './lib/bigtrace_probe.mjs';
import { bigtraceSizes, bigtraceTimeoutMs, lastSpanIdInTreeOrder, sendTrace } from './lib/bigtrace_data.mjs';

const BASE = (process.env.JAEGER_UI_URL || '').replace(/\/$/, '');
const OTLP = (process.env.POLYTRACE_OTLP || '').replace(/\/$/, '');
const SIZES = bigtraceSizes();
const TIMEOUT = bigtraceTimeoutMs();

if (!BASE || !OTLP) {
  console.error('bigtrace_jaeger: set JAEGER_UI_URL and POLYTRACE_OTLP (see the header of tests/bigtrace_jaeger.mjs)');
  process.exit(2);
}

// Jaeger UI's DOM (packages/jaeger-ui/src/components/TracePage/TraceTimelineViewer): a span's
// row is .span-row, its children toggle the .SpanTreeOffset.is-parent in it; the header's
// TimelineCollapser holds four icons: expand +1, collapse +1, expand all, collapse all. A trace
// that fails to load shows its error in an .ErrorMessage--msg instead of rows.
const ROW = '.span-row';
const ROOT_TOGGLE = '.span-row .SpanTreeOffset.is-parent';
const EXPAND_ALL = '.TimelineCollapser svg:nth-of-type(3)';
const COLLAPSE_ALL = '.TimelineCollapser svg:nth-of-type(4)';
const OVERVIEW = '.TracePageHeader--overviewItems';
const ERROR = '.ErrorMessage--msg';

async function measure(page, cdp, traceId, n) {
  await page.goto('about:blank');
  await cdp.send('HeapProfiler.collectGarbage');
  await page.goto(`${BASE}/trace/${traceId}`, { timeout: TIMEOUT });
  await page.waitForFunction((error) => window.__bench?.firstRowAt > 0 || document.querySelector(error), ERROR, { timeout: TIMEOUT, polling: 100 });
  const failure = await page.evaluate((error) => document.querySelector(error)?.textContent, ERROR);
  if (failure) throw new Error(`Jaeger UI shows an error: ${failure}`);
  const overview = await page.locator(OVERVIEW).textContent();
  const shown = Number(overview.match(/Total Spans\s*(\d+)\s*$/)?.[1]);
  if (shown !== n) throw new Error(`the trace shows ${shown} spans, expected ${n}`);
  const firstPaintMs = await page.evaluate(() => window.__bench.firstRowAt);
  const fetchMs = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => e.name.includes('/api/traces/'))?.responseEnd);

  // Jaeger UI's list may still grow after its first paint, so a change counts only when it is
  // the one the action makes: a collapsed root leaves one row, an expanded one more.
  const rowsAfter = (since, collapsed) =>
    page
      .waitForFunction(
        ([t, one]) => window.__bench.rowChanges.find((c) => c.at > t && (c.n === 1) === one),
        [since, collapsed],
        { timeout: TIMEOUT, polling: 'raf' },
      )
      .then((h) => h.jsonValue());
  const clickIn = (selector) =>
    page.evaluate((sel) => {
      const t = performance.now();
      window.__benchClick(sel);
      return t;
    }, selector);

  // Interactive: the first click, made by the probe as soon as the page was free, took effect.
  await page.waitForFunction(() => window.__bench.firstClickAt > 0, null, { timeout: TIMEOUT });
  const clickAt = await page.evaluate(() => window.__bench.firstClickAt);
  const interactiveMs = (await rowsAfter(clickAt, true)).paintedAt;
  let t = await clickIn(ROOT_TOGGLE); // expand again
  const expandMs = (await rowsAfter(t, false)).paintedAt - t;
  t = await clickIn(ROOT_TOGGLE);
  const collapseMs = (await rowsAfter(t, true)).paintedAt - t;
  t = await clickIn(ROOT_TOGGLE);
  await rowsAfter(t, false);

  t = await clickIn(COLLAPSE_ALL);
  const collapseAllMs = (await rowsAfter(t, true)).paintedAt - t;
  t = await clickIn(EXPAND_ALL);
  const expandAllMs = (await rowsAfter(t, false)).paintedAt - t;

  // Scroll to the last row: Jaeger UI's list scrolls with the window.
  t = await page.evaluate(() => {
    const t0 = performance.now();
    window.scrollTo(0, document.documentElement.scrollHeight);
    return t0;
  });
  await page.waitForSelector(`[data-item-key="${lastSpanIdInTreeOrder(n)}--bar"] ${ROW}`, { timeout: TIMEOUT });
  const scrollEndMs = (await page.evaluate(() => performance.now())) - t;
  // Settled: the end of the last long task (> 50 ms) that began within 5 s of the first paint.
  const settledMs = await page.evaluate((fp) => Math.max(fp, ...window.__bench.longTasks.filter(([s]) => s < fp + 5000).map(([, e]) => e)), firstPaintMs);

  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  return {
    spans: n,
    firstPaintMs: Math.round(firstPaintMs),
    interactiveMs: Math.round(interactiveMs),
    settledMs: Math.round(settledMs),
    fetchMs: Math.round(fetchMs ?? NaN),
    collapseMs: Math.round(collapseMs),
    expandMs: Math.round(expandMs),
    collapseAllMs: Math.round(collapseAllMs),
    expandAllMs: Math.round(expandAllMs),
    scrollEndMs: Math.round(scrollEndMs),
    heapMB: Math.round(heap.usedSize / 1048576),
  };
}

const { page, context, close } = await launch();
page.setDefaultTimeout(TIMEOUT);
await page.addInitScript(PAGE_PROBE, { row: ROW, rootToggle: ROOT_TOGGLE });
const cdp = await context.newCDPSession(page);
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message.split('\n')[0]));
page.on('crash', () => pageErrors.push('the page crashed'));
let failed = 0;
for (const n of SIZES) {
  pageErrors.length = 0;
  let traceId;
  try {
    const t0 = Date.now();
    traceId = await sendTrace(OTLP, n);
    const sendMs = Date.now() - t0;
    const result = await measure(page, cdp, traceId, n);
    console.log(JSON.stringify({ ...result, traceId, sendMs }));
  } catch (e) {
    failed++;
    console.log(JSON.stringify({ spans: n, error: e.message.split('\n')[0], pageErrors: [...pageErrors], traceId }));
  }
}
await close();
process.exit(failed ? 1 : 0);

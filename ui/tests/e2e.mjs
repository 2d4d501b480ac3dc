#!/usr/bin/env node
// End-to-end test of the UI against a running polytrace holding demo traces, in Debian's
// Chromium (headless, through playwright-core). Every step waits on a condition with a
// deadline, never a fixed sleep; a failure prints the step and why, saves a screenshot and
// exits 1. Screenshots of every view land in ui/test-results/.
//
//   POLYTRACE_URL      the UI's base URL (polytrace's query server, or `vite preview`)
//   POLYTRACE_TRACE    a complete demo checkout trace
//   POLYTRACE_TRACE_B  a second trace, for compare
//   POLYTRACE_OTLP     optional OTLP/HTTP endpoint (http://127.0.0.1:4318): when set, the test
//                      sends a small trace whose span links to POLYTRACE_TRACE's root span and
//                      follows that link (and back); without it, it jumps parent/child instead.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendTrace } from './lib/bigtrace_data.mjs';
import { launch } from './lib/browser.mjs';

const BASE = (process.env.POLYTRACE_URL || '').replace(/\/$/, '');
const TRACE = (process.env.POLYTRACE_TRACE || '').toLowerCase();
const TRACE_B = (process.env.POLYTRACE_TRACE_B || '').toLowerCase();
const OTLP = (process.env.POLYTRACE_OTLP || '').replace(/\/$/, '');
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
const STEP_TIMEOUT = Number(process.env.E2E_STEP_TIMEOUT_MS || 20000);

if (!BASE || !TRACE || !TRACE_B) {
  console.error('e2e: set POLYTRACE_URL, POLYTRACE_TRACE and POLYTRACE_TRACE_B (see the header of tests/e2e.mjs)');
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

const { page, close } = await launch();
page.setDefaultTimeout(STEP_TIMEOUT);
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && pageErrors.push(m.text()));

let passed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join(' | ')}`);
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    console.error(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    await page.screenshot({ path: join(OUT, `FAIL-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    console.error(`     at ${page.url()}; screenshot in ${OUT}`);
    console.log(`e2e: ${passed} passed, 1 failed`);
    await close();
    process.exit(1);
  }
}

const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`) });
const testid = (id) => page.locator(`[data-testid="${id}"]`);
const rows = () => testid('span-row');
const sel = (id) => `[data-testid="${id}"]`;
async function waitCount(selector, min, what) {
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length >= n, [selector, min], { timeout: STEP_TIMEOUT }).catch(() => {
    throw new Error(`expected at least ${min} ${what}`);
  });
}
async function waitUrl(re, what) {
  await page.waitForURL(re, { timeout: STEP_TIMEOUT }).catch(() => {
    throw new Error(`expected ${what}, at ${page.url()}`);
  });
}
async function expectText(locator, re, what) {
  await locator.first().waitFor();
  const deadline = Date.now() + STEP_TIMEOUT;
  let text = '';
  while (Date.now() < deadline) {
    text = (await locator.first().textContent()) ?? '';
    if (re.test(text)) return;
    await page.waitForTimeout(50); // polling interval, bounded by the deadline
  }
  throw new Error(`${what}: "${text.slice(0, 120)}" does not match ${re}`);
}

let linkTrace = '';
let linkedSpan = '';  // the checkout's root span, which linkTrace's span links to
await step('prepare: a trace with a link (when POLYTRACE_OTLP is set)', async () => {
  if (!OTLP) return;
  const res = await fetch(`${BASE}/api/v2/traces/${TRACE}`);
  if (!res.ok) throw new Error(`GET /api/v2/traces/${TRACE}: ${res.status}`);
  const spans = (await res.json()).trace.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  const root = spans.find((s) => !s.parentSpanId) ?? spans[0];
  linkedSpan = root.spanId.toLowerCase();
  linkTrace = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const now = BigInt(Date.now()) * 1000000n;
  const body = {
    resourceSpans: [{
      resource: { attributes: [
        { key: 'service.name', value: { stringValue: 'e2e-batch-job' } },
        { key: 'telemetry.sdk.language', value: { stringValue: 'cpp' } },
      ] },
      scopeSpans: [{ scope: { name: 'e2e' }, spans: [{
        traceId: linkTrace, spanId: 'e2e0000000000001', name: 'reconcile checkout', kind: 1,
        startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5000000n),
        links: [{ traceId: TRACE, spanId: root.spanId, attributes: [{ key: 'link.reason', value: { stringValue: 'reconciles this checkout' } }] }],
      }] }],
    }],
  };
  const post = await fetch(`${OTLP}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!post.ok) throw new Error(`POST ${OTLP}/v1/traces: ${post.status} ${await post.text()}`);
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    if ((await fetch(`${BASE}/api/v2/traces/${linkTrace}`)).ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the linking trace never became searchable');
});

await step('search (Jaeger route) lists traces with services, languages and a scatter plot', async () => {
  await page.goto(`${BASE}/search?service=api-gateway&range=7d&limit=20`);
  await waitCount(sel('result'), 2, 'search results');
  await testid('scatter').locator('circle').first().waitFor();
  await expectText(testid('query-used'), /Jaeger/, 'the query line');
  await page.locator('[data-testid="result"] .lang-badge[data-lang="go"]').first().waitFor();
  await shot('01-search');
});

await step('search (TraceQL route): OR and negation become TraceQL', async () => {
  await testid('search-attrs').fill('enduser.id=alice|bob http.response.status_code!=500');
  await testid('search-submit').click();
  await waitUrl(/attrs=/, 'the filters in the URL');
  await expectText(testid('query-used'), /TraceQL.*enduser\.id = "alice" \|\| \.enduser\.id = "bob"/, 'the TraceQL shown');
  await waitCount(sel('result'), 1, 'TraceQL results');
  await shot('02-search-traceql');
  await page.goBack();
  await expectText(testid('query-used'), /Jaeger/, 'back to the previous search');
});

await step('open a trace from the results', async () => {
  await testid('result-link').first().click();
  await waitUrl(/\/trace\/[0-9a-f]+/, 'a trace URL');
  await waitCount(sel('span-row'), 2, 'span rows');
});

await step('a pasted trace ID opens the trace', async () => {
  await testid('goto-trace').fill(TRACE);
  await testid('goto-trace').press('Enter');
  await waitUrl(new RegExp(`/trace/${TRACE}`), 'the pasted trace');
  await waitCount(sel('span-row'), 10, 'span rows of the checkout');
  await expectText(testid('trace-title'), /GET \/checkout/, 'trace title');
  await page.locator('[data-testid="trace-services"] .lang-badge[data-lang="java"]').waitFor();
  await shot('03-trace');
});

await step('collapse and expand with the mouse', async () => {
  const before = await rows().count();
  await rows().first().locator('[data-testid="span-toggle"]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="span-row"]').length < n, before);
  await rows().first().locator('[data-testid="span-toggle"]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="span-row"]').length === n, before);
  await testid('collapse-all').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="span-row"]').length <= 2);
  await testid('expand-all').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="span-row"]').length === n, before);
});

await step('keyboard: arrows move, left/right collapse/expand, Enter opens details', async () => {
  await rows().first().click();
  await testid('span-details').waitFor();
  await testid('close-details').click();
  await testid('span-details').waitFor({ state: 'detached' });
  await testid('waterfall').focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  const second = await rows().nth(1).getAttribute('data-span-id');
  await page.waitForSelector(`[data-testid="span-row"][data-span-id="${second}"].selected`);
  const before = await rows().count();
  await page.keyboard.press('ArrowLeft'); // collapse the selected span (it has children)
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="span-row"]').length < n, before);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="span-row"]').length === n, before);
  await page.keyboard.press('ArrowRight'); // to the first child
  await page.keyboard.press('Enter');
  await testid('span-details').waitFor();
  const shown = await testid('span-details').getAttribute('data-span-id');
  if (shown === second) throw new Error('ArrowRight did not move to the first child');
  await waitUrl(/span=[0-9a-f]{16}/, 'the selected span in the URL');
});

await step('span details: attributes, resource, timing against the trace', async () => {
  await page.locator('[data-testid="span-row"]', { hasText: 'process-payment' }).first().click();
  await expectText(testid('span-details'), /process-payment/, 'details title');
  await testid('sd-attributes').locator('td', { hasText: 'payment.' }).first().waitFor();
  await expectText(testid('span-duration'), /of the trace duration/, 'span vs trace duration');
  await testid('sd-resource').locator('summary').click();
  await testid('sd-resource').locator('td', { hasText: 'telemetry.sdk.language' }).waitFor();
  await shot('04-span-details');
});

await step(OTLP ? 'follow a span link to the linked trace and back' : 'jump to the parent and a child', async () => {
  if (OTLP) {
    await page.goto(`${BASE}/trace/${linkTrace}`);
    await rows().first().click();
    await testid('follow-link').click();
    await waitUrl(new RegExp(`/trace/${TRACE}\\?span=`), 'the linked trace');
    await testid('back-link').waitFor();
    await page.locator('[data-testid="span-row"].selected').waitFor();
    await shot('05-followed-link');
    await testid('back-link').click();
    await waitUrl(new RegExp(`/trace/${linkTrace}`), 'back at the linking trace');
    await page.goBack();
    await waitUrl(new RegExp(`/trace/${TRACE}`), 'the checkout again (browser back)');
    await testid('back-link').waitFor();
    await waitCount(sel('span-row'), 10, 'span rows');

    // Back-links: opened afresh (no `from`), the checkout still knows which trace links to it —
    // in its header, and in the linked span's details.
    await page.goto(`${BASE}/trace/${TRACE}?span=${linkedSpan}`);
    await expectText(testid('trace-backlinks'), /e2e-batch-job: reconcile checkout/, 'the trace header\'s back-links');
    await expectText(testid('sd-links'), /1 in/, 'the linked span\'s inbound link count');
    await expectText(testid('back-link-remote'), /e2e-batch-job: reconcile checkout/, 'the linked span\'s back-link');
    await shot('05b-back-links');
    await testid('back-link-remote').click();
    await waitUrl(new RegExp(`/trace/${linkTrace}\\?span=e2e0000000000001`), 'the linking trace, through its back-link');
    await testid('follow-link').waitFor();
    await page.goBack();
    await waitUrl(new RegExp(`/trace/${TRACE}`), 'the checkout again (browser back)');
    await waitCount(sel('span-row'), 10, 'span rows');
  } else {
    const child = await testid('span-details').getAttribute('data-span-id');
    await testid('jump-parent').click();
    await page.waitForFunction((id) => document.querySelector('[data-testid="span-details"]')?.getAttribute('data-span-id') !== id, child);
    await testid('jump-child').first().click();
    await page.waitForFunction((id) => document.querySelector('[data-testid="span-details"]')?.getAttribute('data-span-id') === id, child);
    await shot('05-parent-child');
  }
});

await step('find in trace highlights matches', async () => {
  await testid('find-in-trace').fill('payment');
  await expectText(testid('find-count'), /^0\/[1-9]/, 'match count');
  await testid('find-in-trace').press('Enter');
  await expectText(testid('find-count'), /^1\//, 'first match');
  await testid('find-in-trace').fill('');
});

await step('service map: services with languages, edges with rates', async () => {
  await testid('nav-map').click();
  await waitUrl(/\/map/, 'the map URL');
  await waitCount(sel('map-node'), 5, 'service nodes');
  await waitCount(sel('map-edge'), 4, 'edges');
  await page.locator('[data-testid="map-node"] .lang-badge[data-lang="python"]').waitFor();
  await expectText(page.locator('[data-testid="map-edge-label"] .edge-label'), /\/min/, 'edge label');
  await shot('06-service-map');
  await page.goBack();
  await waitUrl(new RegExp(`/trace/${TRACE}`), 'back to the trace');
});

await step('trace health panel', async () => {
  await testid('health-button').click();
  await testid('trace-health').waitFor();
  await waitCount(`${sel('health-checks')} li`, 7, 'checks');
  await expectText(testid('health-services'), /java/, 'SDK languages');
  await expectText(testid('health-services'), /rust/, 'the fifth language');
  // One generation of semantic conventions everywhere in the healthy demo.
  await page.locator('[data-testid="semconv-cell"] [data-generation="stable"]').first().waitFor();
  if (await page.locator('[data-testid="semconv-cell"] [data-generation="old"]').count()) throw new Error('an old semconv generation in the healthy demo');
  await expectText(page.locator('[data-check="sdk_mix"]'), /PASS/, 'the SDK-mix check');
  await waitUrl(/panel=health/, 'the panel in the URL');
  await shot('07-trace-health');
});

await step('service health', async () => {
  await page.goto(`${BASE}/health?service=payment-service&range=7d`);
  await testid('service-health').waitFor();
  await expectText(testid('service-health'), /traces analysed/, 'summary');
  await shot('08-service-health');
});

await step('compare two traces', async () => {
  await page.goto(`${BASE}/search?service=api-gateway&range=7d&limit=20`);
  await waitCount(sel('result'), 2, 'search results');
  await testid('result-pick').nth(0).check();
  await testid('result-pick').nth(1).check();
  await testid('compare-picked').click();
  await waitUrl(/\/compare\/[0-9a-f]+\/[0-9a-f]+/, 'a compare URL');
  await waitCount(sel('compare-row'), 2, 'compare rows');
  await page.goto(`${BASE}/compare/${TRACE}/${TRACE_B}`);
  await testid('compare-summary').waitFor();
  await waitCount(sel('compare-row'), 10, 'compare rows');
  await expectText(testid('compare-summary'), /matched/, 'summary');
  await shot('09-compare');
});

await step('a big trace shows its first spans while the rest streams in, and a click then holds', async () => {
  if (!OTLP) return;
  const n = 60_000;
  const id = await sendTrace(OTLP, n, 'wide');
  const deadline = Date.now() + STEP_TIMEOUT;
  while (!(await fetch(`${BASE}/api/v2/traces/${id}`, { method: 'HEAD' })).ok) {
    if (Date.now() > deadline) throw new Error(`the ${n}-span trace never became readable`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // A slow link (3 MB/s): the answer (about 13 MB of columns) streams for seconds.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 3 << 20, uploadThroughput: -1 });
  try {
    await page.goto(`${BASE}/trace/${id}`);
    await testid('trace-streaming').waitFor();
    await waitCount(sel('span-row'), 2, 'rows of the first spans');
    await shot('11-trace-streaming');
    const clickedAt = await page.evaluate(() => {
      document.querySelector('[data-testid="span-row"] [data-testid="span-toggle"]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
      return performance.now();
    });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="span-row"]').length === 1);
    await testid('trace-streaming').waitFor({ state: 'detached', timeout: 60_000 });
    await page.waitForFunction((want) => Number(document.querySelector('[data-testid="trace-spans"]').textContent.replace(/\D/g, '')) === want, n);
    const builtAt = await page.evaluate(() => performance.getEntriesByName('trace-built')[0]?.startTime ?? 0);
    if (!(builtAt > clickedAt)) throw new Error(`the whole trace was built (${builtAt} ms) before the click (${clickedAt} ms): nothing was shown early`);
    const rows = await page.locator(sel('span-row')).count();
    if (rows !== 1) throw new Error(`${rows} rows once the whole trace arrived: the click made on its first spans (collapse the root) was lost`);
  } finally {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
});

await step('theme switch (and back)', async () => {
  await page.goto(`${BASE}/trace/${TRACE}`);
  await waitCount(sel('span-row'), 10, 'span rows');
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await testid('theme-toggle').click();
  await page.waitForFunction((t) => document.documentElement.dataset.theme !== t, before);
  await shot(`10-trace-${before === 'dark' ? 'light' : 'dark'}`);
  await page.reload();
  await waitCount(sel('span-row'), 10, 'span rows after reload');
  const kept = await page.evaluate(() => document.documentElement.dataset.theme);
  if (kept === before) throw new Error('the theme was not remembered across a reload');
  await testid('theme-toggle').click();
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, before);
});

await close();
console.log(`e2e: ${passed} passed, 0 failed`);

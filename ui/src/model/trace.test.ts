import { describe, expect, it } from 'vitest';
import { ancestorsOf, buildTraceModel, childrenOf, kindFromOtlp, mainRoot, SpanFlag, splitUnixNanos } from './trace';
import { hexId, otlpTrace, TRACE_ID } from './testing';

const checkout = otlpTrace(
  [
    { id: 'a1', service: 'gateway', name: 'GET /checkout', start: 0, end: 100, kind: 2 },
    { id: 'b1', parent: 'a1', service: 'gateway', name: 'GET /auth', start: 5, end: 30, kind: 3 },
    { id: 'c1', parent: 'b1', service: 'auth', name: 'GET /auth', start: 6, end: 29, kind: 2 },
    { id: 'b2', parent: 'a1', service: 'gateway', name: 'POST /pay', start: 40, end: 95, kind: 3, error: true },
    { id: 'd1', parent: 'zz', service: 'auth', name: 'lost', start: 50, end: 60 },
  ],
  { gateway: 'go', auth: 'nodejs' },
);

describe('buildTraceModel', () => {
  const m = buildTraceModel(checkout);
  const idx = (id: string) => m.indexById.get(id)!;

  it('reads spans, services and languages from OTLP JSON', () => {
    expect(m.size).toBe(5);
    expect(m.traceId).toBe(TRACE_ID);
    expect(m.services.map((s) => [s.name, s.language, s.spanCount])).toEqual([
      ['gateway', 'go', 3],
      ['auth', 'nodejs', 2],
    ]);
    expect(m.durationNs).toBe(100e6);
    expect(m.startEpochMs).toBe(1_700_000_000_000);
  });

  it('links children to parents, ordered by start time', () => {
    expect(Array.from(childrenOf(m, idx('a1'))).map((i) => m.spanIds[i])).toEqual(['b1', 'b2']);
    expect(m.parent[idx('c1')]).toBe(idx('b1'));
    expect(m.depth[idx('c1')]).toBe(2);
    expect(ancestorsOf(m, idx('c1'))).toEqual([idx('b1'), idx('a1')]);
  });

  it('makes a span with a missing parent an orphan root', () => {
    expect(m.flags[idx('d1')] & SpanFlag.Orphan).toBeTruthy();
    expect(m.roots.map((r) => m.spanIds[r])).toEqual(['a1', 'd1']);
    expect(mainRoot(m)).toBe(idx('a1'));
  });

  it('orders the forest depth first and knows subtree sizes', () => {
    expect(Array.from(m.order).map((i) => m.spanIds[i])).toEqual(['a1', 'b1', 'c1', 'b2', 'd1']);
    expect(m.subtreeSize[idx('a1')]).toBe(4);
    expect(m.subtreeSize[idx('b1')]).toBe(2);
    expect(m.position[idx('b2')]).toBe(3);
  });

  it('flags errors, events and links', () => {
    expect(m.flags[idx('b2')] & SpanFlag.Error).toBeTruthy();
    expect(m.errorCount).toBe(1);
    expect(m.services[0].errorCount).toBe(1);
  });

  it('keeps nanosecond precision of Unix timestamps', () => {
    expect(splitUnixNanos('1795588333107697246')).toEqual([1795588333, 107697246]);
    const t = buildTraceModel({
      resourceSpans: [{ scopeSpans: [{ spans: [
        { spanId: '01', startTimeUnixNano: '1795588333107697246', endTimeUnixNano: '1795588333107697247' },
      ] }] }],
    });
    expect(t.end[0] - t.start[0]).toBe(1);
    expect(t.services[0].name).toBe('unknown_service');
  });

  it('reads kinds given as numbers or enum names', () => {
    expect(kindFromOtlp(2)).toBe(2);
    expect(kindFromOtlp('SPAN_KIND_CONSUMER')).toBe(5);
    expect(kindFromOtlp(undefined)).toBe(0);
  });

  it('flags duplicate span IDs and keeps the first', () => {
    const d = buildTraceModel(otlpTrace([
      { id: 'aa', start: 0, end: 10 },
      { id: 'aa', start: 1, end: 2 },
    ]));
    expect(d.indexById.get('aa')).toBe(0);
    expect(d.flags[1] & SpanFlag.DuplicateId).toBeTruthy();
  });

  it('cuts a parent cycle at its earliest span', () => {
    const c = buildTraceModel(otlpTrace([
      { id: 'x1', parent: 'x2', start: 5, end: 10 },
      { id: 'x2', parent: 'x1', start: 1, end: 20 },
      { id: 'x3', parent: 'x1', start: 6, end: 7 },
    ]));
    const x2 = c.indexById.get('x2')!;
    expect(c.roots).toEqual([x2]);
    expect(c.flags[x2] & SpanFlag.CycleCut).toBeTruthy();
    expect(c.subtreeSize[x2]).toBe(3);
    expect(Array.from(c.order).map((i) => c.spanIds[i])).toEqual(['x2', 'x1', 'x3']);
  });

  it('handles a chain 200,000 spans deep without recursion', () => {
    const n = 200_000;
    const spans = [];
    for (let i = 0; i < n; i++) {
      spans.push({ spanId: hexId(i + 1), parentSpanId: i ? hexId(i) : '', startTimeUnixNano: String(1e9 + i), endTimeUnixNano: String(1e9 + 2 * n - i) });
    }
    const deep = buildTraceModel({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
    expect(deep.maxDepth).toBe(n - 1);
    expect(deep.subtreeSize[0]).toBe(n);
  });
});

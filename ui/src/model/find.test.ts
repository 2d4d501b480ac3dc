import { describe, expect, it } from 'vitest';
import { findSpans } from './find';
import { spanWarnings } from './spanWarnings';
import { otlpTrace } from './testing';
import { buildTraceModel, modelTime } from './trace';

const m = buildTraceModel(otlpTrace([
  { id: 'a1', service: 'gateway', name: 'GET /checkout', start: 0, end: 100, events: [{ atMs: 10, name: 'retry' }] },
  { id: 'b1', parent: 'a1', service: 'auth', name: 'SELECT users', start: 5, end: 30 },
  { id: 'c1', parent: 'gone', service: 'auth', name: 'late', start: 50, end: 60 },
]));
m.raw[1].attributes = [{ key: 'db.system', value: { stringValue: 'postgresql' } }];

describe('findSpans', () => {
  const ids = (q: string) => Array.from(findSpans(m, q)).map((i) => m.spanIds[i]);
  it('matches names, services, IDs, attributes and events', () => {
    expect(ids('checkout')).toEqual(['a1']);
    expect(ids('AUTH')).toEqual(['b1', 'c1']);
    expect(ids('postgres')).toEqual(['b1']);
    expect(ids('retry')).toEqual(['a1']);
    expect(ids('db.system=postgresql')).toEqual(['b1']);
    expect(ids('')).toEqual([]);
  });
});

describe('spanWarnings', () => {
  it('joins the model’s own notes and the analysis’ findings per span', () => {
    const w = spanWarnings(m, [
      { kind: 'clock_skew', message: 'skewed', spans: [{ spanID: 'b1', service: 'auth', name: 'x', kind: 'server' }] },
      { kind: 'orphan', message: 'dup of model note', spans: [{ spanID: 'c1', service: 'auth', name: 'late', kind: 'internal' }] },
    ]);
    expect(w.get(m.indexById.get('b1')!)).toEqual([{ kind: 'clock_skew', message: 'skewed' }]);
    expect(w.get(m.indexById.get('c1')!)!.map((x) => x.kind)).toEqual(['orphan']);
  });
});

describe('modelTime', () => {
  it('places an event on the trace’s time axis', () => {
    const ev = m.raw[0].events![0];
    expect(modelTime(m, ev.timeUnixNano) / 1e6).toBeCloseTo(10);
  });
});

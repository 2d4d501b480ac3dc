import { describe, expect, it } from 'vitest';
import { biggestChanges, compareTraces, pathKeys } from './compare';
import { otlpTrace } from './testing';
import { buildTraceModel } from './trace';

const a = buildTraceModel(otlpTrace([
  { id: 'r', service: 'gw', name: 'GET /checkout', start: 0, end: 100 },
  { id: 'q1', parent: 'r', service: 'db', name: 'SELECT', start: 1, end: 11 },
  { id: 'q2', parent: 'r', service: 'db', name: 'SELECT', start: 20, end: 25 },
  { id: 'p', parent: 'r', service: 'pay', name: 'charge', start: 30, end: 90 },
]));
const b = buildTraceModel(otlpTrace([
  { id: 'R', service: 'gw', name: 'GET /checkout', start: 0, end: 300 },
  { id: 'Q1', parent: 'R', service: 'db', name: 'SELECT', start: 1, end: 21 },
  { id: 'P', parent: 'R', service: 'pay', name: 'charge', start: 30, end: 290 },
  { id: 'N', parent: 'P', service: 'pay', name: 'retry', start: 100, end: 200 },
]));

describe('compareTraces', () => {
  it('keys spans by service+name path with an occurrence number', () => {
    const keys = pathKeys(a);
    expect(keys[a.indexById.get('q2')!]).toBe('/gw\u241fGET /checkout#0/db\u241fSELECT#1');
  });

  it('matches spans by path and keeps what is only on one side', () => {
    const r = compareTraces(a, b);
    const row = (id: number) => r.nodes[id];
    const lines = r.order.map((id) => [row(id).depth, row(id).service, row(id).name, row(id).a >= 0, row(id).b >= 0]);
    expect(lines).toEqual([
      [0, 'gw', 'GET /checkout', true, true],
      [1, 'db', 'SELECT', true, true],
      [1, 'db', 'SELECT', true, false],
      [1, 'pay', 'charge', true, true],
      [2, 'pay', 'retry', false, true],
    ]);
    expect([r.matched, r.onlyA, r.onlyB]).toEqual([3, 1, 1]);
  });

  it('reports per-span latency differences, biggest first', () => {
    const top = biggestChanges(compareTraces(a, b));
    expect(top.map((n) => [n.name, (n.durationB - n.durationA) / 1e6])).toEqual([
      ['GET /checkout', 200],
      ['charge', 200],
      ['SELECT', 10],
    ]);
  });
});

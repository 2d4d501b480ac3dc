import { describe, expect, it } from 'vitest';
import { carryCollapsed, collapseAll, initialCollapsed, revealSpan, rowOf, visibleRows } from './layout';
import { hexId, otlpTrace, type SpanSpec } from './testing';
import { buildTraceModel } from './trace';
import { computeWindow, scrollTopForRow } from './virtualWindow';

const m = buildTraceModel(otlpTrace([
  { id: 'r', start: 0, end: 100 },
  { id: 'a', parent: 'r', start: 1, end: 50 },
  { id: 'a1', parent: 'a', start: 2, end: 10 },
  { id: 'a2', parent: 'a', start: 11, end: 20 },
  { id: 'b', parent: 'r', start: 60, end: 90 },
  { id: 'b1', parent: 'b', start: 61, end: 70 },
]));
const ids = (rows: Int32Array) => Array.from(rows).map((i) => m.spanIds[i]);
const i = (id: string) => m.indexById.get(id)!;

describe('carryCollapsed', () => {
  // A wide trace whose first spans arrive first: the root, 3,000 children, each child's own.
  const specs: SpanSpec[] = [{ id: 'root', start: 0, end: 10_000 }];
  for (let c = 0; c < 3000; c++) specs.push({ id: `c${c}`, parent: 'root', start: 1 + c, end: 2 + c });
  for (let c = 0; c < 3000; c++) specs.push({ id: `g${c}`, parent: `c${c}`, start: 1 + c, end: 2 + c });
  const whole = buildTraceModel(otlpTrace(specs));
  const first = buildTraceModel(otlpTrace(specs.slice(0, 1500)));

  it('keeps what the user collapsed and expanded in the first spans', () => {
    const before = initialCollapsed(first);
    const user = before.slice();
    user[first.indexById.get('root')!] = 1; // the first click: the root collapsed
    const c7 = first.indexById.get('c7')!;
    user[c7] = 0;
    const carried = carryCollapsed(first, user, whole);
    expect(carried.length).toBe(whole.size);
    expect(carried[whole.indexById.get('root')!]).toBe(1);
    expect(Array.from(visibleRows(whole, carried), (v) => whole.spanIds[v])).toEqual(['root']);
  });

  it('gives the whole trace its own initial state where the user changed nothing', () => {
    expect(Array.from(carryCollapsed(first, initialCollapsed(first), whole))).toEqual(Array.from(initialCollapsed(whole)));
    const user = initialCollapsed(first);
    const c7 = first.indexById.get('c7')!;
    user[c7] = 1; // collapsed: in the whole trace c7 has a child, and stays collapsed
    const carried = carryCollapsed(first, user, whole);
    expect(carried[whole.indexById.get('c7')!]).toBe(1);
    expect(carried[whole.indexById.get('c8')!]).toBe(initialCollapsed(whole)[whole.indexById.get('c8')!]);
  });
});

describe('visibleRows', () => {
  it('lists every span in pre-order when nothing is collapsed', () => {
    expect(ids(visibleRows(m, new Uint8Array(m.size)))).toEqual(['r', 'a', 'a1', 'a2', 'b', 'b1']);
  });

  it('skips collapsed subtrees', () => {
    const c = new Uint8Array(m.size);
    c[i('a')] = 1;
    expect(ids(visibleRows(m, c))).toEqual(['r', 'a', 'b', 'b1']);
    expect(ids(visibleRows(m, collapseAll(m)))).toEqual(['r']);
  });

  it('reveals a hidden span by expanding its ancestors', () => {
    const c = collapseAll(m);
    const opened = revealSpan(m, c, i('a2'));
    expect(opened).not.toBe(c);
    expect(ids(visibleRows(m, opened))).toEqual(['r', 'a', 'a1', 'a2', 'b']);
    expect(revealSpan(m, opened, i('a1'))).toBe(opened);
  });

  it('finds a span’s row, or -1 when hidden', () => {
    const c = new Uint8Array(m.size);
    c[i('a')] = 1;
    const rows = visibleRows(m, c);
    expect(rowOf(m, rows, i('b1'))).toBe(3);
    expect(rowOf(m, rows, i('a2'))).toBe(-1);
  });

  it('opens a big trace only down to a row budget', () => {
    const specs = [{ id: hexId(1), start: 0, end: 1000 }];
    let next = 2;
    for (let a = 0; a < 10; a++) {
      const pa = hexId(next++);
      specs.push({ id: pa, parent: hexId(1), start: a, end: a + 1 } as never);
      for (let b = 0; b < 100; b++) specs.push({ id: hexId(next++), parent: pa, start: a, end: a + 1 } as never);
    }
    const big = buildTraceModel(otlpTrace(specs));
    const rows = visibleRows(big, initialCollapsed(big, 50));
    expect(rows.length).toBe(11); // root + 10 collapsed children
    expect(visibleRows(big, initialCollapsed(big, 5000)).length).toBe(big.size);
  });

  it('always shows the root\'s children, however many (a wide fan-out opens expanded)', () => {
    const specs: SpanSpec[] = [{ id: 'r', start: 0, end: 100 }];
    for (let k = 0; k < 30; k++) specs.push({ id: `c${k}`, parent: 'r', start: k + 1, end: k + 2 });
    specs.push({ id: 'g', parent: 'c0', start: 1, end: 2 });
    const wide = buildTraceModel(otlpTrace(specs));
    const rows = visibleRows(wide, initialCollapsed(wide, 10));
    expect(rows.length).toBe(31); // the root and its 30 children, the grandchild folded away
  });
});

describe('computeWindow', () => {
  it('puts only the rows in view (plus overscan) in the DOM', () => {
    const w = computeWindow({ rowCount: 1000, rowHeight: 20, viewportHeight: 200, scrollTop: 400, overscan: 2 });
    expect(w).toEqual({ contentHeight: 20000, first: 18, last: 32, offsetTop: 360, scaled: false });
  });

  it('clamps at both ends', () => {
    expect(computeWindow({ rowCount: 5, rowHeight: 20, viewportHeight: 200, scrollTop: 0 })).toMatchObject({ first: 0, last: 5 });
    const end = computeWindow({ rowCount: 100, rowHeight: 20, viewportHeight: 200, scrollTop: 99999, overscan: 0 });
    expect(end).toMatchObject({ first: 90, last: 100, offsetTop: 1800 });
  });

  it('scales the scroll range of a million rows under the height cap', () => {
    const base = { rowCount: 1_000_000, rowHeight: 24, viewportHeight: 600, overscan: 0, maxContentHeight: 1_000_000 };
    const top = computeWindow({ ...base, scrollTop: 0 });
    expect(top).toMatchObject({ contentHeight: 1_000_000, first: 0, last: 25, scaled: true, offsetTop: 0 });
    const bottom = computeWindow({ ...base, scrollTop: 1_000_000 - 600 });
    expect(bottom.last).toBe(1_000_000);
    expect(bottom.first).toBe(1_000_000 - 25);
    // The last row's bottom edge meets the viewport's bottom edge.
    expect(bottom.offsetTop + 25 * 24).toBeCloseTo(1_000_000, 6);
    const middle = computeWindow({ ...base, scrollTop: (1_000_000 - 600) / 2 });
    expect(Math.abs(middle.first - 500_000)).toBeLessThan(20);
  });

  it('scrolls just enough to show a row', () => {
    const base = { rowCount: 1000, rowHeight: 20, viewportHeight: 200 };
    expect(scrollTopForRow({ ...base, scrollTop: 0 }, 3)).toBe(0);
    expect(scrollTopForRow({ ...base, scrollTop: 0 }, 10)).toBe(20);
    expect(scrollTopForRow({ ...base, scrollTop: 500 }, 5)).toBe(100);
    const scaled = { rowCount: 1_000_000, rowHeight: 24, viewportHeight: 600, maxContentHeight: 1_000_000 };
    const top = scrollTopForRow({ ...scaled, scrollTop: 0 }, 600_000);
    const w = computeWindow({ ...scaled, scrollTop: top, overscan: 0 });
    expect(w.first <= 600_000 && 600_000 < w.last).toBe(true);
  });
});

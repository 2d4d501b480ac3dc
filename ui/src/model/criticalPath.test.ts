import { describe, expect, it } from 'vitest';
import { criticalPath, criticalSpans, indexBySpan } from './criticalPath';
import { hexId, otlpTrace } from './testing';
import { buildTraceModel, mainRoot } from './trace';

function path(specs: Parameters<typeof otlpTrace>[0]) {
  const m = buildTraceModel(otlpTrace(specs));
  const sections = criticalPath(m, m.start, m.end, mainRoot(m));
  return sections.map((s) => [m.spanIds[s.span], s.start / 1e6, s.end / 1e6]);
}

describe('criticalPath', () => {
  it('is the root alone when it has no children', () => {
    expect(path([{ id: 'r', start: 0, end: 10 }])).toEqual([['r', 0, 10]]);
  });

  it('goes through sequential children and the gaps between them', () => {
    expect(
      path([
        { id: 'r', start: 0, end: 100 },
        { id: 'a', parent: 'r', start: 10, end: 40 },
        { id: 'b', parent: 'r', start: 50, end: 90 },
      ]),
    ).toEqual([
      ['r', 90, 100],
      ['b', 50, 90],
      ['r', 40, 50],
      ['a', 10, 40],
      ['r', 0, 10],
    ]);
  });

  it('takes the last-finishing of parallel children, skipping those overlapping it', () => {
    expect(
      path([
        { id: 'r', start: 0, end: 100 },
        { id: 'a', parent: 'r', start: 10, end: 80 },
        { id: 'b', parent: 'r', start: 20, end: 60 }, // overlaps a: off the path
        { id: 'c', parent: 'r', start: 2, end: 8 },
      ]),
    ).toEqual([
      ['r', 80, 100],
      ['a', 10, 80],
      ['r', 8, 10],
      ['c', 2, 8],
      ['r', 0, 2],
    ]);
  });

  it('descends into grandchildren', () => {
    expect(
      path([
        { id: 'r', start: 0, end: 100 },
        { id: 'a', parent: 'r', start: 0, end: 100 },
        { id: 'g', parent: 'a', start: 30, end: 70 },
      ]),
    ).toEqual([
      ['a', 70, 100],
      ['g', 30, 70],
      ['a', 0, 30],
    ]);
  });

  it('clips children to the parent and ignores children that start after it ended', () => {
    expect(
      path([
        { id: 'r', start: 0, end: 100 },
        { id: 'skewed', parent: 'r', start: 60, end: 150 }, // clipped to 60..100
        { id: 'async', parent: 'r', start: 120, end: 130 }, // after the root ended
      ]),
    ).toEqual([
      ['skewed', 60, 100],
      ['r', 0, 60],
    ]);
  });

  it('marks the spans on the path', () => {
    const m = buildTraceModel(otlpTrace([
      { id: 'r', start: 0, end: 100 },
      { id: 'a', parent: 'r', start: 10, end: 80 },
      { id: 'b', parent: 'r', start: 20, end: 60 },
    ]));
    const on = criticalSpans(m.size, criticalPath(m, m.start, m.end, 0));
    expect(Array.from(on)).toEqual([1, 1, 0]);
  });

  it('groups sections by span', () => {
    const idx = indexBySpan(3, [
      { span: 2, start: 5, end: 6 },
      { span: 0, start: 0, end: 1 },
      { span: 2, start: 1, end: 2 },
    ]);
    expect(Array.from(idx.offsets)).toEqual([0, 1, 1, 3]);
    expect(Array.from(idx.from)).toEqual([0, 5, 1]);
  });

  it('handles 100,000 parallel children in linear-ish time', () => {
    const specs = [{ id: hexId(1), start: 0, end: 1e6 }];
    for (let i = 0; i < 100_000; i++) specs.push({ id: hexId(i + 2), parent: hexId(1), start: i, end: i + 10 } as never);
    const m = buildTraceModel(otlpTrace(specs));
    const t = performance.now();
    const sections = criticalPath(m, m.start, m.end, 0);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(sections.length).toBeGreaterThan(2);
  });
});

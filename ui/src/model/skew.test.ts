import { describe, expect, it } from 'vitest';
import { adjustedTimes, originalTimes, serviceShifts } from './skew';
import { otlpTrace } from './testing';
import { buildTraceModel } from './trace';

const skew = (service: string, peerService: string, offsetMs: number) => ({
  kind: 'clock_skew', message: '', service, peerService, offsetNanos: offsetMs * 1e6,
});

describe('serviceShifts', () => {
  it('takes each skewed service’s offset against its peer', () => {
    expect(serviceShifts([skew('reco', 'gateway', 1500)])).toEqual(new Map([['reco', 1500e6]]));
  });

  it('adds up a chain of skewed services and ignores other findings', () => {
    const shifts = serviceShifts([
      skew('db', 'reco', -200),
      skew('reco', 'gateway', 1500),
      { kind: 'orphan', message: '', service: 'x' },
    ]);
    expect(shifts.get('reco')).toBe(1500e6);
    expect(shifts.get('db')).toBe(1300e6);
    expect(shifts.has('x')).toBe(false);
  });

  it('stops at a cycle of findings', () => {
    const shifts = serviceShifts([skew('a', 'b', 10), skew('b', 'a', -10)]);
    expect(shifts.size).toBe(2);
  });
});

describe('adjustedTimes', () => {
  const m = buildTraceModel(otlpTrace([
    { id: 'c', service: 'gateway', start: 0, end: 100, kind: 3 },
    { id: 's', parent: 'c', service: 'reco', start: 1510, end: 1590, kind: 2 },
  ]));

  it('shifts the skewed service’s spans back by its offset', () => {
    const t = adjustedTimes(m, serviceShifts([skew('reco', 'gateway', 1500)]));
    expect(t.start[1] / 1e6).toBeCloseTo(10);
    expect(t.end[1] / 1e6).toBeCloseTo(90);
    expect(t.durationNs / 1e6).toBeCloseTo(100);
    // The model itself is unchanged: switching back shows the originals.
    expect(m.start[1] / 1e6).toBeCloseTo(1510);
    expect(originalTimes(m).durationNs / 1e6).toBeCloseTo(1590);
  });

  it('moves the origin when a shifted span becomes the earliest', () => {
    const t = adjustedTimes(m, new Map([['reco', 1600e6]]));
    expect(t.originShiftNs / 1e6).toBeCloseTo(-90);
    expect(t.start[1]).toBe(0);
    expect(t.start[0] / 1e6).toBeCloseTo(90);
  });
});

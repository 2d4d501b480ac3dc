import { describe, expect, it } from 'vitest';
import { parseRelative, rangeFromParams, resolveRange } from './timeRange';

describe('time ranges', () => {
  it('reads relative ranges in several spellings', () => {
    expect(parseRelative('last 1h')).toMatchObject({ lookbackMs: 3600e3, text: '1h' });
    expect(parseRelative('30 minutes')).toMatchObject({ lookbackMs: 1800e3, text: '30m' });
    expect(parseRelative('2d')).toMatchObject({ lookbackMs: 2 * 86400e3 });
    expect(parseRelative('soon')).toBeUndefined();
  });

  it('resolves relative and absolute ranges from URL parameters', () => {
    expect(resolveRange(rangeFromParams(new URLSearchParams('range=15m')), 1e6)).toEqual({ startMs: 1e6 - 900e3, endMs: 1e6 });
    expect(resolveRange(rangeFromParams(new URLSearchParams('start=10&end=20')), 1e6)).toEqual({ startMs: 10, endMs: 20 });
  });
});

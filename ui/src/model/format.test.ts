import { describe, expect, it } from 'vitest';
import { formatDuration, niceAxis, niceTicks } from './format';

describe('formatting', () => {
  it('prints durations with a fitting unit', () => {
    expect(formatDuration(850)).toBe('850ns');
    expect(formatDuration(1_234_567)).toBe('1.23ms');
    expect(formatDuration(368_237_296)).toBe('368ms');
    expect(formatDuration(90e9)).toBe('1m30s');
  });

  it('picks round tick steps', () => {
    expect(niceTicks(100e6, 5)).toEqual([0, 20e6, 40e6, 60e6, 80e6, 100e6]);
  });

  it('extends an axis to a round value above the largest point', () => {
    expect(niceAxis(87e6, 4)).toEqual([0, 50e6, 100e6]);
    expect(niceAxis(100e6, 5)).toEqual([0, 20e6, 40e6, 60e6, 80e6, 100e6]);
  });

  it('drops zero minor units', () => {
    expect(formatDuration(3600e9)).toBe('1h');
    expect(formatDuration(120e9)).toBe('2m');
  });
});

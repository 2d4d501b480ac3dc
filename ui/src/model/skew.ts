// Clock-skew adjustment. The analysis API reports, per skewed service pair, how far `service`'s
// clock is ahead of `peerService`'s (offsetNanos). Adjusting shifts every span of `service` back
// by that offset, plus whatever its peer is itself shifted by (a chain of skewed hosts), so all
// times land on the clock of the first unskewed service. The original times are never changed:
// adjusted copies are made, and switching the adjustment off shows the originals again.
import type { Finding } from '../api/types';
import type { TraceModel } from './trace';

export interface TimeView {
  start: Float64Array;
  end: Float64Array;
  /** Trace duration under this view (first start to last end). */
  durationNs: number;
  /** How far the view's zero is after the model's zero (the earliest start moved). */
  originShiftNs: number;
}

/** Service name → nanoseconds to subtract from its spans' times. */
export function serviceShifts(findings: Finding[]): Map<string, number> {
  const offsetOf = new Map<string, { peer: string; offset: number }>();
  for (const f of findings) {
    if (f.kind !== 'clock_skew' || !f.service || !f.offsetNanos) continue;
    if (!offsetOf.has(f.service)) offsetOf.set(f.service, { peer: f.peerService ?? '', offset: f.offsetNanos });
  }
  const shifts = new Map<string, number>();
  const resolving = new Set<string>();
  const resolve = (svc: string): number => {
    const known = shifts.get(svc);
    if (known !== undefined) return known;
    const own = offsetOf.get(svc);
    if (!own || resolving.has(svc)) return 0; // unskewed, or a cycle of findings: stop there
    resolving.add(svc);
    const total = own.offset + resolve(own.peer);
    resolving.delete(svc);
    shifts.set(svc, total);
    return total;
  };
  for (const svc of offsetOf.keys()) resolve(svc);
  return shifts;
}

export function originalTimes(m: Pick<TraceModel, 'start' | 'end' | 'durationNs'>): TimeView {
  return { start: m.start, end: m.end, durationNs: m.durationNs, originShiftNs: 0 };
}

export function adjustedTimes(
  m: Pick<TraceModel, 'size' | 'start' | 'end' | 'service' | 'services' | 'durationNs'>,
  shifts: Map<string, number>,
): TimeView {
  if (shifts.size === 0) return originalTimes(m);
  const perService = new Float64Array(m.services.length);
  m.services.forEach((s, i) => (perService[i] = shifts.get(s.name) ?? 0));
  const start = new Float64Array(m.size);
  const end = new Float64Array(m.size);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (let i = 0; i < m.size; i++) {
    const d = perService[m.service[i]];
    start[i] = m.start[i] - d;
    end[i] = m.end[i] - d;
    if (start[i] < t0) t0 = start[i];
    if (end[i] > t1) t1 = end[i];
  }
  if (m.size === 0) return { start, end, durationNs: 0, originShiftNs: 0 };
  for (let i = 0; i < m.size; i++) {
    start[i] -= t0;
    end[i] -= t0;
  }
  return { start, end, durationNs: t1 - t0, originShiftNs: t0 };
}

// Time ranges as the search form, the service map and the URL write them: relative ("1h",
// "last 15m", "2d") or absolute (two instants, milliseconds since the epoch).

export type TimeRange = { kind: 'relative'; lookbackMs: number; text: string } | { kind: 'absolute'; startMs: number; endMs: number };

const UNIT_MS: Record<string, number> = {
  s: 1e3, sec: 1e3, second: 1e3, seconds: 1e3,
  m: 60e3, min: 60e3, minute: 60e3, minutes: 60e3,
  h: 3600e3, hour: 3600e3, hours: 3600e3,
  d: 86400e3, day: 86400e3, days: 86400e3,
  w: 604800e3, week: 604800e3, weeks: 604800e3,
};

export const RELATIVE_CHOICES = ['5m', '15m', '1h', '6h', '24h', '2d', '7d'];

/** "1h", "last 1h", "last 30 minutes" → a relative range; undefined when not one. */
export function parseRelative(text: string): TimeRange | undefined {
  const m = /^\s*(?:last\s+)?(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNIT_MS[m[2].toLowerCase()];
  if (!unit) return undefined;
  const lookbackMs = Number(m[1]) * unit;
  if (!(lookbackMs > 0)) return undefined;
  return { kind: 'relative', lookbackMs, text: `${m[1]}${shortUnit(m[2].toLowerCase())}` };
}

function shortUnit(u: string): string {
  return u.startsWith('mi') ? 'm' : u[0];
}

/** Resolves a range against `now`: [startMs, endMs]. */
export function resolveRange(r: TimeRange, now: number): { startMs: number; endMs: number } {
  return r.kind === 'relative' ? { startMs: now - r.lookbackMs, endMs: now } : { startMs: r.startMs, endMs: r.endMs };
}

/** URL parameters for a range: `range=1h`, or `start=…&end=…` (ms). */
export function rangeToParams(r: TimeRange, params: URLSearchParams): void {
  params.delete('range');
  params.delete('start');
  params.delete('end');
  if (r.kind === 'relative') params.set('range', r.text);
  else {
    params.set('start', String(Math.round(r.startMs)));
    params.set('end', String(Math.round(r.endMs)));
  }
}

export function rangeFromParams(params: URLSearchParams, fallback = '1h'): TimeRange {
  const start = Number(params.get('start'));
  const end = Number(params.get('end'));
  if (params.get('start') && params.get('end') && end > start) return { kind: 'absolute', startMs: start, endMs: end };
  return parseRelative(params.get('range') ?? '') ?? parseRelative(fallback)!;
}

/** `<input type=datetime-local>` value for an instant in local time, and back. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 16);
}

export function fromLocalInput(value: string): number {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : NaN;
}

export function describeRange(r: TimeRange): string {
  return r.kind === 'relative' ? `last ${r.text}` : `${new Date(r.startMs).toLocaleString()} – ${new Date(r.endMs).toLocaleString()}`;
}

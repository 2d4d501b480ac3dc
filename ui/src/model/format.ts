// Human forms of durations and times. Durations come in nanoseconds (the model's unit).

export function formatDuration(ns: number): string {
  const a = Math.abs(ns);
  const sign = ns < 0 ? '-' : '';
  if (a < 1e3) return `${sign}${round(a)}ns`;
  if (a < 1e6) return `${sign}${round(a / 1e3)}µs`;
  if (a < 1e9) return `${sign}${round(a / 1e6)}ms`;
  if (a < 60e9) return `${sign}${round(a / 1e9)}s`;
  const m = Math.floor(a / 60e9);
  if (m < 60) {
    const s = Math.round((a - m * 60e9) / 1e9);
    return s ? `${sign}${m}m${s}s` : `${sign}${m}m`;
  }
  const h = Math.floor(m / 60);
  return m - h * 60 ? `${sign}${h}h${m - h * 60}m` : `${sign}${h}h`;
}

/** Three significant digits at most, trailing zeros dropped: 1.23, 12.3, 123. */
function round(x: number): string {
  if (x >= 100) return String(Math.round(x));
  if (x >= 10) return String(Math.round(x * 10) / 10);
  return String(Math.round(x * 100) / 100);
}

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '—';
  const p = (part / whole) * 100;
  return Math.abs(p) >= 10 || p === 0 ? `${Math.round(p)}%` : `${p.toFixed(1)}%`;
}

export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

export function formatRelativeAgo(ms: number, now: number): string {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 60) return `${Math.round(s)}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Tick values for an axis over [0, span]: 4–10 steps of 1, 2 or 5 × 10^k. */
export function niceTicks(span: number, maxTicks = 6): number[] {
  if (!(span > 0)) return [0];
  const raw = span / maxTicks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let i = 0; i * step <= span + step * 1e-9; i++) ticks.push(i * step);
  return ticks;
}

/** Ticks from 0 to the first round value at or above `max` (an axis that holds every point). */
export function niceAxis(max: number, maxTicks = 5): number[] {
  const ticks = niceTicks(max, maxTicks);
  if (ticks.length > 1 && ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + (ticks[1] - ticks[0]));
  return ticks;
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

// One line of the search results: what a trace is (root service and operation), how big, which
// services (with their SDK language) and errors — from Jaeger JSON, or from Tempo's search
// result alone when the full trace is not at hand.
import type { JaegerSpan, JaegerTag, JaegerTrace, TempoSearchTrace } from '../api/types';

export interface TraceSummary {
  traceID: string;
  rootService: string;
  rootName: string;
  startMs: number;
  durationNs: number;
  spanCount: number | undefined;
  errorCount: number | undefined;
  services: { name: string; language: string; spans: number; errors: number }[];
}

function tagValue(tags: JaegerTag[] | undefined, key: string): unknown {
  return tags?.find((t) => t.key === key)?.value;
}

export function isErrorSpan(s: JaegerSpan): boolean {
  const v = tagValue(s.tags, 'error');
  return v === true || v === 'true';
}

export function summarizeJaeger(t: JaegerTrace): TraceSummary {
  const ids = new Set(t.spans.map((s) => s.spanID));
  let root: JaegerSpan | undefined;
  let first = Infinity;
  let last = -Infinity;
  const perService = new Map<string, { name: string; language: string; spans: number; errors: number }>();
  let errors = 0;
  for (const s of t.spans) {
    first = Math.min(first, s.startTime);
    last = Math.max(last, s.startTime + s.duration);
    const parent = s.references?.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID));
    if (!parent && (!root || s.startTime < root.startTime)) root = s;
    const proc = t.processes[s.processID];
    const name = proc?.serviceName ?? '?';
    let entry = perService.get(name);
    if (!entry) {
      entry = { name, language: String(tagValue(proc?.tags, 'telemetry.sdk.language') ?? ''), spans: 0, errors: 0 };
      perService.set(name, entry);
    }
    entry.spans++;
    if (isErrorSpan(s)) {
      entry.errors++;
      errors++;
    }
  }
  const rootService = root ? (t.processes[root.processID]?.serviceName ?? '?') : '?';
  // Root service first, then by span count.
  const services = [...perService.values()].sort(
    (a, b) => Number(b.name === rootService) - Number(a.name === rootService) || b.spans - a.spans || a.name.localeCompare(b.name),
  );
  return {
    traceID: t.traceID,
    rootService,
    rootName: root?.operationName ?? '?',
    startMs: Number.isFinite(first) ? first / 1000 : 0,
    durationNs: Number.isFinite(first) ? (last - first) * 1000 : 0,
    spanCount: t.spans.length,
    errorCount: errors,
    services,
  };
}

export function summarizeTempo(t: TempoSearchTrace): TraceSummary {
  const startNs = t.startTimeUnixNano ?? '0';
  const startMs = startNs.length > 6 ? Number(startNs.slice(0, -6)) : 0;
  return {
    traceID: t.traceID,
    rootService: t.rootServiceName ?? '?',
    rootName: t.rootTraceName ?? '?',
    startMs,
    durationNs: (t.durationMs ?? 0) * 1e6,
    spanCount: undefined,
    errorCount: undefined,
    services: t.rootServiceName ? [{ name: t.rootServiceName, language: '', spans: 0, errors: 0 }] : [],
  };
}

/** Jaeger prints IDs whose high half is zero with 16 digits; Tempo with 32. Compare on the low part. */
export function sameTraceId(a: string, b: string): boolean {
  const norm = (x: string) => x.toLowerCase().replace(/^0+/, '');
  return norm(a) === norm(b);
}

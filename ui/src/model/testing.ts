// Builders of OTLP JSON traces for the unit tests.
import type { OtlpSpan, OtlpTrace } from '../api/types';

export interface SpanSpec {
  id: string;
  parent?: string;
  service?: string;
  name?: string;
  /** Start and end in milliseconds after a fixed epoch second. */
  start: number;
  end: number;
  kind?: number;
  error?: boolean;
  links?: { traceId: string; spanId: string }[];
  events?: { atMs: number; name: string }[];
}

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const EPOCH_S = 1_700_000_000;

export function nanos(ms: number): string {
  const ns = Math.round(ms * 1e6);
  const s = EPOCH_S + Math.floor(ns / 1e9);
  return `${s}${String(ns - Math.floor(ns / 1e9) * 1e9).padStart(9, '0')}`;
}

export function otlpTrace(specs: SpanSpec[], languages: Record<string, string> = {}): OtlpTrace {
  const byService = new Map<string, OtlpSpan[]>();
  for (const s of specs) {
    const svc = s.service ?? 'svc';
    const list = byService.get(svc) ?? [];
    list.push({
      traceId: TRACE_ID,
      spanId: s.id,
      parentSpanId: s.parent ?? '',
      name: s.name ?? s.id,
      kind: s.kind ?? 1,
      startTimeUnixNano: nanos(s.start),
      endTimeUnixNano: nanos(s.end),
      status: s.error ? { code: 2, message: 'boom' } : {},
      links: s.links,
      events: s.events?.map((e) => ({ timeUnixNano: nanos(e.atMs), name: e.name })),
    });
    byService.set(svc, list);
  }
  return {
    resourceSpans: [...byService].map(([svc, spans]) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: svc } },
          ...(languages[svc] ? [{ key: 'telemetry.sdk.language', value: { stringValue: languages[svc] } }] : []),
        ],
      },
      scopeSpans: [{ scope: { name: 'test', version: '1' }, spans }],
    })),
  };
}

/** The hex span ID of a number, for generated traces. */
export function hexId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

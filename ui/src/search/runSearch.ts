// Running a search: the form's state lives in the URL (/search?service=…&attrs=…&range=1h…), and
// a search goes to Jaeger's API when a service and plain key=value filters are all it has (full
// traces come back, so the list is complete at once), else to Tempo's with the filters written
// as TraceQL (or the user's own TraceQL), whose results are then filled in from Jaeger by ID.
import { getJaegerTraces, searchJaeger, searchTempo } from '../api/client';
import type { TempoSearchTrace } from '../api/types';
import { sameTraceId, summarizeJaeger, summarizeTempo, type TraceSummary } from '../model/searchSummary';
import { rangeFromParams, rangeToParams, resolveRange, type TimeRange } from '../model/timeRange';
import { buildTraceQL, jaegerCanAnswer, jaegerTags, parseAttributeFilters, type SearchFilters } from '../model/traceql';

export interface SearchRequest {
  service: string;
  operation: string;
  attrs: string;
  minDuration: string;
  maxDuration: string;
  traceql: string;
  range: TimeRange;
  limit: number;
}

export interface SearchOutcome {
  summaries: TraceSummary[];
  api: 'jaeger' | 'tempo';
  /** What was sent: Jaeger's query string or the TraceQL. */
  query: string;
  notes: string[];
}

/** Traces with more matched spans than this are listed without downloading them. */
const ENRICH_MAX_SPANS = 20_000;

export function requestFromParams(params: URLSearchParams): SearchRequest {
  const limit = Number(params.get('limit'));
  return {
    service: params.get('service') ?? '',
    operation: params.get('operation') ?? '',
    attrs: params.get('attrs') ?? '',
    minDuration: params.get('minDuration') ?? '',
    maxDuration: params.get('maxDuration') ?? '',
    traceql: params.get('q') ?? '',
    range: rangeFromParams(params),
    limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 20,
  };
}

export function requestToParams(r: SearchRequest): URLSearchParams {
  const p = new URLSearchParams();
  const set = (k: string, v: string) => v && p.set(k, v);
  set('service', r.service);
  set('operation', r.operation);
  set('attrs', r.attrs.trim());
  set('minDuration', r.minDuration.trim());
  set('maxDuration', r.maxDuration.trim());
  set('q', r.traceql.trim());
  rangeToParams(r.range, p);
  p.set('limit', String(r.limit));
  return p;
}

export function filtersOf(r: SearchRequest): SearchFilters {
  return {
    service: r.service || undefined,
    operation: r.operation || undefined,
    attributes: parseAttributeFilters(r.attrs),
    minDuration: r.minDuration.trim() || undefined,
    maxDuration: r.maxDuration.trim() || undefined,
  };
}

/** The TraceQL this request runs as (the user's own, or the filters translated). */
export function traceqlOf(r: SearchRequest): string {
  return r.traceql.trim() || buildTraceQL(filtersOf(r));
}

export async function runSearch(r: SearchRequest, now: number, signal?: AbortSignal): Promise<SearchOutcome> {
  const { startMs, endMs } = resolveRange(r.range, now);
  const filters = filtersOf(r);
  if (!r.traceql.trim() && jaegerCanAnswer(filters)) {
    const traces = await searchJaeger(
      {
        service: r.service,
        operation: r.operation || undefined,
        tags: jaegerTags(filters),
        minDuration: filters.minDuration,
        maxDuration: filters.maxDuration,
        startMicros: startMs * 1000,
        endMicros: endMs * 1000,
        limit: r.limit,
      },
      signal,
    );
    const tags = jaegerTags(filters);
    const query = [`service=${r.service}`, r.operation && `operation=${r.operation}`, Object.keys(tags).length && `tags=${JSON.stringify(tags)}`]
      .filter(Boolean)
      .join(' ');
    return { summaries: traces.map(summarizeJaeger), api: 'jaeger', query, notes: [] };
  }
  const q = traceqlOf(r);
  const found = await searchTempo({ q, startMs, endMs, limit: r.limit }, signal);
  const { summaries, notes } = await enrich(found, signal);
  return { summaries, api: 'tempo', query: q, notes };
}

/** Tempo's results name only the root; the rest (services, languages, errors) comes from Jaeger. */
async function enrich(found: TempoSearchTrace[], signal?: AbortSignal): Promise<{ summaries: TraceSummary[]; notes: string[] }> {
  const notes: string[] = [];
  const small = found.filter((t) => (t.spanSet?.matched ?? 0) <= ENRICH_MAX_SPANS);
  if (small.length < found.length) notes.push(`${found.length - small.length} trace(s) with more than ${ENRICH_MAX_SPANS} spans listed without their details`);
  let full: TraceSummary[] = [];
  try {
    full = (await getJaegerTraces(small.map((t) => t.traceID), signal)).map(summarizeJaeger);
  } catch (e) {
    if (signal?.aborted) throw e;
    notes.push(`details of the traces could not be loaded: ${e instanceof Error ? e.message : e}`);
  }
  const summaries = found.map((t) => {
    const f = full.find((s) => sameTraceId(s.traceID, t.traceID));
    const base = summarizeTempo(t);
    if (!f) return { ...base, spanCount: t.spanSet?.matched && t.spanSet.matched > ENRICH_MAX_SPANS ? t.spanSet.matched : undefined };
    return { ...f, traceID: t.traceID };
  });
  return { summaries, notes };
}

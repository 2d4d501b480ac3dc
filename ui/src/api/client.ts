// The query server's HTTP API, one function per endpoint. Every function throws an ApiError with
// the server's own message (Jaeger envelope or Tempo's plain text) so views can show it as is.
import type {
  Backlinks,
  Dependency,
  JaegerTrace,
  ServiceMap,
  TempoSearchTrace,
  TraceAnalysis,
} from './types';
import { ColumnsReader, TRACE_COLUMNS_MEDIA_TYPE, type TraceColumns } from '../model/columns';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  if (!res.ok) throw new ApiError(await errorText(res), res.status);
  return (await res.json()) as T;
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { msg?: string }[] };
    const msg = body.errors?.map((e) => e.msg).filter(Boolean).join('; ');
    if (msg) return msg;
  } catch {
    // Tempo routes answer plain text.
  }
  return text.trim() || `${res.status} ${res.statusText}`;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

export async function getServices(signal?: AbortSignal): Promise<string[]> {
  const body = await getJson<{ data: string[] | null }>('/api/services', signal);
  return (body.data ?? []).slice().sort();
}

export async function getOperations(service: string, signal?: AbortSignal): Promise<string[]> {
  const url = `/api/services/${encodeURIComponent(service)}/operations`;
  const body = await getJson<{ data: string[] | null }>(url, signal);
  return (body.data ?? []).slice().sort();
}

export interface JaegerSearchParams {
  service: string;
  operation?: string;
  tags?: Record<string, string>;
  minDuration?: string;
  maxDuration?: string;
  startMicros: number;
  endMicros: number;
  limit: number;
}

export async function searchJaeger(p: JaegerSearchParams, signal?: AbortSignal): Promise<JaegerTrace[]> {
  const tags = p.tags && Object.keys(p.tags).length ? JSON.stringify(p.tags) : undefined;
  const qs = query({
    service: p.service,
    operation: p.operation,
    tags,
    minDuration: p.minDuration,
    maxDuration: p.maxDuration,
    start: Math.floor(p.startMicros),
    end: Math.ceil(p.endMicros),
    limit: p.limit,
  });
  const body = await getJson<{ data: JaegerTrace[] | null }>(`/api/traces?${qs}`, signal);
  return body.data ?? [];
}

/** Several traces by ID in one request (Jaeger's `traceID=` form), for enriching Tempo results. */
export async function getJaegerTraces(ids: string[], signal?: AbortSignal): Promise<JaegerTrace[]> {
  if (ids.length === 0) return [];
  const q = new URLSearchParams();
  for (const id of ids) q.append('traceID', id);
  const body = await getJson<{ data: JaegerTrace[] | null }>(`/api/traces?${q}`, signal);
  return body.data ?? [];
}

export interface TempoSearchParams {
  q: string;
  startMs: number;
  endMs: number;
  limit: number;
}

export async function searchTempo(p: TempoSearchParams, signal?: AbortSignal): Promise<TempoSearchTrace[]> {
  const qs = query({
    q: p.q,
    start: Math.floor(p.startMs / 1000),
    end: Math.ceil(p.endMs / 1000),
    limit: p.limit,
  });
  const body = await getJson<{ traces?: TempoSearchTrace[] | null }>(`/api/search?${qs}`, signal);
  return body.traces ?? [];
}

/**
 * A trace in the server's typed columns (model/columns.ts), read frame by frame as the answer
 * streams in: no JSON text or object per span. `onProgress` hears the bytes and spans so far,
 * and can take the spans read so far as a trace of their own (`snapshot`).
 */
export async function getTraceColumns(
  id: string,
  signal?: AbortSignal,
  onProgress?: (received: number, spans: number, snapshot: () => TraceColumns | null) => void,
): Promise<TraceColumns> {
  const res = await fetch(`/api/v2/traces/${encodeURIComponent(id)}`, { signal, headers: { Accept: TRACE_COLUMNS_MEDIA_TYPE } });
  if (!res.ok) throw new ApiError(await errorText(res), res.status);
  const columns = new ColumnsReader();
  if (!res.body) {
    columns.push(new Uint8Array(await res.arrayBuffer()));
    return columns.finish();
  }
  const reader = res.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    columns.push(value);
    onProgress?.(received, columns.spans, () => columns.snapshot());
  }
  return columns.finish();
}

export function getAnalysis(id: string, signal?: AbortSignal): Promise<TraceAnalysis> {
  return getJson<TraceAnalysis>(`/api/analysis/traces/${encodeURIComponent(id)}`, signal);
}

/**
 * Spans of other traces linking into trace `id`. A span can only link to a trace that already
 * began, so the search starts shortly (clock skew) before the trace and runs to the present.
 */
export function getBacklinks(id: string, traceStartMs: number, signal?: AbortSignal): Promise<Backlinks> {
  const qs = query({ start: Math.floor((traceStartMs - BACKLINK_SKEW_MARGIN_MS) * 1000) });
  return getJson<Backlinks>(`/api/backlinks/traces/${encodeURIComponent(id)}?${qs}`, signal);
}
const BACKLINK_SKEW_MARGIN_MS = 3_600_000;

export async function getDependencies(endMs: number, lookbackMs: number, signal?: AbortSignal): Promise<Dependency[]> {
  const qs = query({ endTs: Math.round(endMs), lookback: Math.round(lookbackMs) });
  const body = await getJson<{ data: Dependency[] | null }>(`/api/dependencies?${qs}`, signal);
  return body.data ?? [];
}

/** polytrace's service map; null when the server has no such endpoint (404). */
export async function getServiceMap(startMs: number, endMs: number, signal?: AbortSignal): Promise<ServiceMap | null> {
  const qs = query({ start: Math.floor(startMs * 1000), end: Math.ceil(endMs * 1000) });
  try {
    return await getJson<ServiceMap>(`/api/servicemap?${qs}`, signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// The trace model: OTLP JSON turned into a tree over flat typed arrays, so that a trace of a
// million spans costs a few arrays rather than a million extra objects. Span i's fields are
// column[i]; the raw OTLP span stays reachable (raw[i]) for the details panel. Times are
// nanoseconds from the trace's first span start. Every walk is iterative: a trace may be a
// chain a million spans deep.
import type { OtlpKeyValue, OtlpResourceSpans, OtlpSpan, OtlpTrace } from '../api/types';
import { attributeValue } from './attributes';

export const enum SpanFlag {
  Error = 1,
  /** parentSpanId set but no such span in the trace. */
  Orphan = 2,
  /** Another span earlier in the trace has the same ID. */
  DuplicateId = 4,
  HasEvents = 8,
  HasLinks = 16,
  /** Part of a parent cycle; cut to make it a root. */
  CycleCut = 32,
}

export const SpanKind = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKindName = (typeof SpanKind)[number];

export interface ServiceInfo {
  name: string;
  language: string;
  sdkName: string;
  sdkVersion: string;
  /** Index into the colour palette, stable per name. */
  color: number;
  spanCount: number;
  errorCount: number;
}

export interface ResourceInfo {
  attributes: OtlpKeyValue[];
  schemaUrl: string;
  service: number;
}

export interface ScopeInfo {
  name: string;
  version: string;
  attributes: OtlpKeyValue[];
  schemaUrl: string;
}

/** Spans by index: an array (from OTLP JSON), or made on demand from columns. */
export interface SpanList {
  readonly [i: number]: OtlpSpan;
  readonly length: number;
}

export interface IdList {
  readonly [i: number]: string;
  readonly length: number;
}

export interface IdLookup {
  get(id: string): number | undefined;
}

export interface TraceModel {
  traceId: string;
  size: number;
  raw: SpanList;
  /** Span i's name, without making its OTLP form (a columns model makes it only when asked). */
  spanName: (i: number) => string;
  spanIds: IdList;
  start: Float64Array;
  end: Float64Array;
  parent: Int32Array;
  service: Uint16Array;
  resource: Uint32Array;
  scope: Uint32Array;
  kind: Uint8Array;
  flags: Uint8Array;
  depth: Int32Array;
  /** Children of span i: childList[childStart[i] .. childStart[i+1]), ordered by start time. */
  childStart: Int32Array;
  childList: Int32Array;
  /** Depth-first pre-order of the whole forest, and each span's position in it. */
  order: Int32Array;
  position: Int32Array;
  /** Number of spans in span i's subtree, i included. */
  subtreeSize: Int32Array;
  roots: number[];
  maxDepth: number;
  services: ServiceInfo[];
  resources: ResourceInfo[];
  scopes: ScopeInfo[];
  indexById: IdLookup;
  /**
   * Spans whose name, attribute key or value, or event name contains `text` (lower case), or
   * (with `eq`) that hold attribute key = value exactly, as a flag per span: a model made from
   * columns answers from its string table instead of making every span's OTLP form.
   */
  matchText?: (text: string, eq: [string, string] | null) => Uint8Array;
  /** Wall-clock time of the first span start, milliseconds since the epoch. */
  startEpochMs: number;
  /** Model time t is Unix time (baseSecs s + originNs ns + t ns): see modelTime. */
  baseSecs: number;
  originNs: number;
  durationNs: number;
  errorCount: number;
}

export function kindFromOtlp(kind: number | string | undefined): number {
  if (typeof kind === 'number') return kind >= 0 && kind <= 5 ? kind : 0;
  if (!kind) return 0;
  const name = kind.replace(/^SPAN_KIND_/, '').toLowerCase();
  const i = SpanKind.indexOf(name as SpanKindName);
  return i < 0 ? 0 : i;
}

export function isErrorStatus(code: number | string | undefined): boolean {
  return code === 2 || code === 'STATUS_CODE_ERROR' || code === 'ERROR';
}

/** Splits a Unix-nanoseconds value into whole seconds and nanoseconds without losing precision. */
export function splitUnixNanos(v: string | number | undefined): [number, number] {
  if (v === undefined || v === '') return [0, 0];
  if (typeof v === 'number') {
    const s = Math.floor(v / 1e9);
    return [s, v - s * 1e9];
  }
  if (v.length <= 9) return [0, Number(v)];
  return [Number(v.slice(0, -9)), Number(v.slice(-9))];
}

const UNKNOWN_SERVICE = 'unknown_service';

export function buildTraceModel(trace: OtlpTrace, traceIdHint = ''): TraceModel {
  const resourceSpans = trace.resourceSpans ?? [];
  let size = 0;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans ?? []) size += ss.spans?.length ?? 0;

  const raw: OtlpSpan[] = new Array(size);
  const spanIds: string[] = new Array(size);
  const start = new Float64Array(size);
  const end = new Float64Array(size);
  const service = new Uint16Array(size);
  const resource = new Uint32Array(size);
  const scope = new Uint32Array(size);
  const kind = new Uint8Array(size);
  const flags = new Uint8Array(size);
  const { services, resources, serviceOfResource } = collectServices(resourceSpans);
  const scopes: ScopeInfo[] = [];

  let baseSecs = NaN;
  let i = 0;
  for (let r = 0; r < resourceSpans.length; r++) {
    for (const ss of resourceSpans[r].scopeSpans ?? []) {
      const scopeIndex = scopes.length;
      scopes.push({
        name: ss.scope?.name ?? '',
        version: ss.scope?.version ?? '',
        attributes: ss.scope?.attributes ?? [],
        schemaUrl: ss.schemaUrl ?? '',
      });
      for (const s of ss.spans ?? []) {
        raw[i] = s;
        spanIds[i] = (s.spanId ?? '').toLowerCase();
        const [ss0, sn0] = splitUnixNanos(s.startTimeUnixNano);
        const [es0, en0] = splitUnixNanos(s.endTimeUnixNano);
        if (Number.isNaN(baseSecs)) baseSecs = ss0;
        start[i] = (ss0 - baseSecs) * 1e9 + sn0;
        end[i] = s.endTimeUnixNano === undefined ? start[i] : (es0 - baseSecs) * 1e9 + en0;
        if (end[i] < start[i]) end[i] = start[i];
        service[i] = serviceOfResource[r];
        resource[i] = r;
        scope[i] = scopeIndex;
        kind[i] = kindFromOtlp(s.kind);
        let f = 0;
        if (isErrorStatus(s.status?.code)) f |= SpanFlag.Error;
        if (s.events?.length) f |= SpanFlag.HasEvents;
        if (s.links?.length) f |= SpanFlag.HasLinks;
        flags[i] = f;
        i++;
      }
    }
  }

  let t0 = Infinity;
  let t1 = -Infinity;
  for (let k = 0; k < size; k++) {
    if (start[k] < t0) t0 = start[k];
    if (end[k] > t1) t1 = end[k];
  }
  if (size === 0) t0 = t1 = 0;
  for (let k = 0; k < size; k++) {
    start[k] -= t0;
    end[k] -= t0;
  }

  const indexById = new Map<string, number>();
  for (let k = 0; k < size; k++) {
    if (indexById.has(spanIds[k])) flags[k] |= SpanFlag.DuplicateId;
    else indexById.set(spanIds[k], k);
  }
  const parent = new Int32Array(size).fill(-1);
  for (let k = 0; k < size; k++) {
    const pid = (raw[k].parentSpanId ?? '').toLowerCase();
    if (!pid || /^0+$/.test(pid)) continue;
    const p = indexById.get(pid);
    if (p === undefined || p === k) flags[k] |= SpanFlag.Orphan;
    else parent[k] = p;
  }

  const errorCount = countServiceSpans(size, service, flags, services);

  const tree = buildTree(size, parent, start, flags);
  return {
    traceId: (raw[0]?.traceId ?? traceIdHint).toLowerCase(),
    size,
    raw,
    spanName: (i) => raw[i].name ?? '',
    spanIds,
    start,
    end,
    parent,
    service,
    resource,
    scope,
    kind,
    flags,
    ...tree,
    services,
    resources,
    scopes,
    indexById,
    startEpochMs: size ? baseSecs * 1e3 + t0 / 1e6 : 0,
    baseSecs: size ? baseSecs : 0,
    originNs: t0,
    durationNs: t1 - t0,
    errorCount,
  };
}

export function collectServices(resourceSpans: OtlpResourceSpans[]) {
  const services: ServiceInfo[] = [];
  const byName = new Map<string, number>();
  const resources: ResourceInfo[] = [];
  const serviceOfResource: number[] = [];
  for (const rs of resourceSpans) {
    const attrs = rs.resource?.attributes ?? [];
    const name = attributeValue(attrs, 'service.name') || UNKNOWN_SERVICE;
    let s = byName.get(name);
    if (s === undefined) {
      s = services.length;
      byName.set(name, s);
      services.push({
        name,
        language: '',
        sdkName: '',
        sdkVersion: '',
        color: colorIndex(name),
        spanCount: 0,
        errorCount: 0,
      });
    }
    const info = services[s];
    info.language ||= attributeValue(attrs, 'telemetry.sdk.language') ?? '';
    info.sdkName ||= attributeValue(attrs, 'telemetry.sdk.name') ?? '';
    info.sdkVersion ||= attributeValue(attrs, 'telemetry.sdk.version') ?? '';
    resources.push({ attributes: attrs, schemaUrl: rs.schemaUrl ?? '', service: s });
    serviceOfResource.push(s);
  }
  return { services, resources, serviceOfResource };
}

/** Each service's spans and errors; the trace's errors. */
export function countServiceSpans(size: number, service: Uint16Array, flags: Uint8Array, services: ServiceInfo[]): number {
  let errorCount = 0;
  for (let k = 0; k < size; k++) {
    const sv = services[service[k]];
    sv.spanCount++;
    if (flags[k] & SpanFlag.Error) {
      sv.errorCount++;
      errorCount++;
    }
  }
  return errorCount;
}

/** A stable palette slot for a service name (FNV-1a). */
export function colorIndex(name: string, paletteSize = 16): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < name.length; k++) {
    h ^= name.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % paletteSize;
}

/**
 * Children lists (CSR), pre-order, depths and subtree sizes. Spans whose parent is missing are
 * roots; a parent cycle (malformed data) is cut at its earliest span, flagged CycleCut.
 */
export function buildTree(size: number, parent: Int32Array, start: Float64Array, flags: Uint8Array) {
  const childStart = new Int32Array(size + 1);
  for (let k = 0; k < size; k++) if (parent[k] >= 0) childStart[parent[k] + 1]++;
  for (let k = 0; k < size; k++) childStart[k + 1] += childStart[k];
  const childList = new Int32Array(Math.max(0, childStart[size]));
  const fill = childStart.slice(0, size);
  for (let k = 0; k < size; k++) if (parent[k] >= 0) childList[fill[parent[k]]++] = k;
  const byStart = (a: number, b: number) => start[a] - start[b] || a - b;
  for (let k = 0; k < size; k++) {
    const a = childStart[k];
    const b = childStart[k + 1];
    if (b - a < 2) continue;
    let sorted = true; // SDKs mostly send children in start order: check before sorting
    for (let c = a + 1; c < b && sorted; c++) sorted = byStart(childList[c - 1], childList[c]) <= 0;
    if (!sorted) childList.set(Array.from(childList.subarray(a, b)).sort(byStart), a);
  }

  const roots: number[] = [];
  for (let k = 0; k < size; k++) if (parent[k] < 0) roots.push(k);
  roots.sort(byStart);

  const order = new Int32Array(size);
  const position = new Int32Array(size).fill(-1);
  const depth = new Int32Array(size);
  let written = 0;
  let maxDepth = 0;
  const stack = new Int32Array(size);
  const visit = (root: number) => {
    let top = 0;
    stack[top++] = root;
    depth[root] = 0;
    while (top > 0) {
      const v = stack[--top];
      position[v] = written;
      order[written++] = v;
      const d = depth[v] + 1;
      for (let c = childStart[v + 1] - 1; c >= childStart[v]; c--) {
        const child = childList[c];
        if (position[child] >= 0) continue;
        depth[child] = d;
        if (d > maxDepth) maxDepth = d;
        stack[top++] = child;
      }
    }
  };
  for (const r of roots) visit(r);
  // Spans not reached hang off a parent cycle: cut each cycle at its earliest-starting span.
  if (written < size) {
    const mark = new Int32Array(size).fill(-1);
    for (let k = 0; k < size; k++) {
      if (position[k] >= 0) continue;
      let x = k;
      while (mark[x] !== k && position[x] < 0) {
        mark[x] = k;
        x = parent[x];
      }
      if (position[x] >= 0) continue; // reached a span visited by an earlier cut
      let cut = x;
      for (let y = parent[x]; y !== x; y = parent[y]) if (byStart(y, cut) < 0) cut = y;
      flags[cut] |= SpanFlag.CycleCut;
      parent[cut] = -1;
      roots.push(cut);
      visit(cut);
    }
  }

  const subtreeSize = new Int32Array(size).fill(1);
  for (let p = size - 1; p >= 0; p--) {
    const v = order[p];
    if (parent[v] >= 0 && position[parent[v]] < p) subtreeSize[parent[v]] += subtreeSize[v];
  }
  return { childStart, childList, order, position, subtreeSize, roots, depth, maxDepth };
}

export function childrenOf(m: Pick<TraceModel, 'childStart' | 'childList'>, v: number): Int32Array {
  return m.childList.subarray(m.childStart[v], m.childStart[v + 1]);
}

export function childCount(m: Pick<TraceModel, 'childStart'>, v: number): number {
  return m.childStart[v + 1] - m.childStart[v];
}

/** Ancestors of v, nearest first. */
export function ancestorsOf(m: Pick<TraceModel, 'parent'>, v: number): number[] {
  const out: number[] = [];
  for (let p = m.parent[v]; p >= 0 && out.length < m.parent.length; p = m.parent[p]) out.push(p);
  return out;
}

/** The span the trace is about: the earliest root that is not an orphan (else the earliest root). */
export function mainRoot(m: Pick<TraceModel, 'roots' | 'flags'>): number {
  for (const r of m.roots) if (!(m.flags[r] & SpanFlag.Orphan)) return r;
  return m.roots.length ? m.roots[0] : -1;
}

/** A Unix-nanoseconds timestamp (an event's, say) in the model's time: ns after the trace start. */
export function modelTime(m: Pick<TraceModel, 'baseSecs' | 'originNs'>, unixNanos: string | number | undefined): number {
  const [s, ns] = splitUnixNanos(unixNanos);
  return (s - m.baseSecs) * 1e9 + ns - m.originNs;
}

// The trace model built from the server's columns (columns.ts) rather than OTLP JSON: the same
// TraceModel, with span IDs, the ID index and the spans' OTLP form made on demand from typed
// arrays. A million spans cost their columns and a hash table of ints, not a million objects,
// strings and map entries.
import type { OtlpSpan } from '../api/types';
import { hexId, spanAt, type TraceColumns } from './columns';
import { buildTree, collectServices, countServiceSpans, SpanFlag, type IdLookup, type IdList, type ScopeInfo, type SpanList, type TraceModel } from './trace';

/** Span IDs (two 32-bit halves) to span index: open addressing in an Int32Array. */
class IdIndex implements IdLookup {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(
    private readonly high: Uint32Array,
    private readonly low: Uint32Array,
  ) {
    let capacity = 16;
    while (capacity < high.length * 2) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
  }

  private slotOf(h: number, l: number): number {
    let x = Math.imul(h ^ Math.imul(l, 0x9e3779b1), 0x85ebca6b);
    x ^= x >>> 13;
    return x & this.mask;
  }

  /** Adds span i; false when an earlier span has its ID. */
  add(i: number): boolean {
    const h = this.high[i];
    const l = this.low[i];
    for (let s = this.slotOf(h, l); ; s = (s + 1) & this.mask) {
      const j = this.slots[s];
      if (j < 0) {
        this.slots[s] = i;
        return true;
      }
      if (this.high[j] === h && this.low[j] === l) return false;
    }
  }

  find(h: number, l: number): number {
    for (let s = this.slotOf(h, l); ; s = (s + 1) & this.mask) {
      const j = this.slots[s];
      if (j < 0) return -1;
      if (this.high[j] === h && this.low[j] === l) return j;
    }
  }

  get(id: string): number | undefined {
    if (!/^[0-9a-fA-F]{1,16}$/.test(id)) return undefined;
    const hex = id.padStart(16, '0');
    const j = this.find(parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8), 16) >>> 0);
    return j < 0 ? undefined : j;
  }
}

/** An index-addressable list whose items are made when read, the last few kept. */
function lazyList<T>(length: number, make: (i: number) => T, keep = 1024): { readonly [i: number]: T; readonly length: number } {
  const cache = new Map<number, T>();
  return new Proxy([] as unknown as { readonly [i: number]: T; readonly length: number }, {
    get(_target, prop) {
      if (prop === 'length') return length;
      if (typeof prop !== 'string') return undefined;
      const i = Number(prop);
      if (!Number.isInteger(i) || i < 0 || i >= length) return undefined;
      let v = cache.get(i);
      if (v === undefined) {
        v = make(i);
        if (cache.size >= keep) cache.delete(cache.keys().next().value as number);
        cache.set(i, v);
      }
      return v;
    },
  });
}

export function buildTraceModelFromColumns(c: TraceColumns): TraceModel {
  const size = c.size;
  const { services, resources, serviceOfResource } = collectServices(
    c.resources.map((r) => ({ resource: { attributes: r.attributes }, schemaUrl: r.schemaUrl })),
  );
  const scopes: ScopeInfo[] = c.scopes.map((s) => ({ name: s.name, version: s.version, attributes: s.attributes, schemaUrl: s.schemaUrl }));
  const start = new Float64Array(size);
  const end = new Float64Array(size);
  const service = new Uint16Array(size);
  const flags = new Uint8Array(size);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (let i = 0; i < size; i++) {
    start[i] = c.start[i] + c.baseNs;
    end[i] = Math.max(start[i], c.end[i] + c.baseNs);
    if (start[i] < t0) t0 = start[i];
    if (end[i] > t1) t1 = end[i];
    service[i] = serviceOfResource[c.resource[i]] ?? 0;
    let f = c.status[i] === 2 ? SpanFlag.Error : 0;
    if (c.eventStart[i + 1] > c.eventStart[i]) f |= SpanFlag.HasEvents;
    if (c.linkStart[i + 1] > c.linkStart[i]) f |= SpanFlag.HasLinks;
    flags[i] = f;
  }
  if (size === 0) t0 = t1 = 0;
  for (let i = 0; i < size; i++) {
    start[i] -= t0;
    end[i] -= t0;
  }

  const ids = new IdIndex(c.idHigh, c.idLow);
  for (let i = 0; i < size; i++) if (!ids.add(i)) flags[i] |= SpanFlag.DuplicateId;
  const parent = new Int32Array(size).fill(-1);
  for (let i = 0; i < size; i++) {
    const h = c.parentHigh[i];
    const l = c.parentLow[i];
    if (h === 0 && l === 0) continue;
    const p = ids.find(h, l);
    if (p < 0 || p === i) flags[i] |= SpanFlag.Orphan;
    else parent[i] = p;
  }
  const errorCount = countServiceSpans(size, service, flags, services);
  const tree = buildTree(size, parent, start, flags);
  const raw: SpanList = lazyList<OtlpSpan>(size, (i) => spanAt(c, i));
  const spanIds: IdList = lazyList<string>(size, (i) => hexId(c.idHigh[i], c.idLow[i]), 4096);
  return {
    traceId: c.traceId,
    size,
    matchText: textMatcher(c),
    raw,
    spanName: (i) => c.strings[c.name[i]],
    spanIds,
    start,
    end,
    parent,
    service,
    resource: c.resource,
    scope: c.scope,
    kind: c.kind,
    flags,
    ...tree,
    services,
    resources,
    scopes,
    indexById: ids,
    startEpochMs: size ? c.baseSecs * 1e3 + t0 / 1e6 : 0,
    baseSecs: size ? c.baseSecs : 0,
    originNs: t0,
    durationNs: t1 - t0,
    errorCount,
  };
}

/**
 * Find in trace over the columns: each string of the table is tested once (lower-cased once, on
 * the first search), then spans are flagged by the indexes of their name, attributes and events.
 */
function textMatcher(c: TraceColumns): (text: string, eq: [string, string] | null) => Uint8Array {
  let lower: string[] | null = null;
  return (text, eq) => {
    lower ??= c.strings.map((s) => s.toLowerCase());
    const hit = new Uint8Array(c.size);
    const attrs = c.attributes;
    if (eq) {
      const keyIs = new Uint8Array(lower.length);
      const valueIs = new Uint8Array(lower.length);
      lower.forEach((s, k) => {
        if (s === eq[0]) keyIs[k] = 1;
        if (s === eq[1]) valueIs[k] = 1;
      });
      for (let i = 0; i < c.size; i++) {
        for (let k = attrs.start[i]; k < attrs.start[i + 1] && !hit[i]; k++) if (keyIs[attrs.key[k]] && valueIs[attrs.value[k]]) hit[i] = 1;
      }
      return hit;
    }
    const has = new Uint8Array(lower.length);
    lower.forEach((s, k) => {
      if (s.includes(text)) has[k] = 1;
    });
    for (let i = 0; i < c.size; i++) {
      if (has[c.name[i]]) {
        hit[i] = 1;
        continue;
      }
      for (let k = attrs.start[i]; k < attrs.start[i + 1]; k++) {
        if (has[attrs.key[k]] || has[attrs.value[k]]) {
          hit[i] = 1;
          break;
        }
      }
      if (hit[i]) continue;
      for (let e = c.eventStart[i]; e < c.eventStart[i + 1]; e++) {
        if (has[c.eventName[e]]) {
          hit[i] = 1;
          break;
        }
      }
    }
    return hit;
  };
}

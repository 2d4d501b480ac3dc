import { describe, expect, it } from 'vitest';
import type { OtlpKeyValue, OtlpTrace } from '../api/types';
import { ColumnsReader, hasRootSpan, spanAt, type TraceColumns } from './columns';
import { buildTraceModelFromColumns } from './columnsModel';
import { findSpans } from './find';
import { buildTraceModel } from './trace';
import { otlpTrace } from './testing';

// An encoder written from the format's description (src/query/trace_columns.h), the server's
// counterpart, frames split into pieces of `piece` spans.
function encode(trace: OtlpTrace, piece: number): Uint8Array {
  const parts: number[] = [];
  const frame = (type: number, body: number[]) => {
    while (body.length % 8) body.push(type === 3 ? 0 : 0x20);
    const head = new DataView(new ArrayBuffer(8));
    head.setUint32(0, type, true);
    head.setUint32(4, body.length, true);
    parts.push(...new Uint8Array(head.buffer), ...body);
  };
  const json = (v: unknown) => Array.from(new TextEncoder().encode(JSON.stringify(v)));
  const spans = (trace.resourceSpans ?? []).flatMap((rs, r) => (rs.scopeSpans ?? []).flatMap((ss, s) => (ss.spans ?? []).map((span) => ({ span, r, s }))));
  const base = BigInt(spans[0].span.startTimeUnixNano!);
  frame(1, json({ traceId: spans[0].span.traceId, baseUnixNanos: base.toString() }));
  const strings = new Map<string, number>([['', 0]]);
  let nextString = 1;
  for (let at = 0; at < spans.length; at += piece) {
    const chunk = spans.slice(at, at + piece);
    const fresh: string[] = [];
    const str = (t: string) => {
      if (!strings.has(t)) {
        strings.set(t, nextString++);
        fresh.push(t);
      }
      return strings.get(t)!;
    };
    const attrs = { key: [] as number[], value: [] as number[], type: [] as number[] };
    const ends = { attr: [] as number[], event: [] as number[], link: [] as number[] };
    const text = (kv: OtlpKeyValue) => {
      const v = kv.value ?? {};
      if (v.stringValue !== undefined) return [1, v.stringValue] as const;
      if (v.intValue !== undefined) return [3, String(v.intValue)] as const;
      if (v.boolValue !== undefined) return [2, String(v.boolValue)] as const;
      return [0, ''] as const;
    };
    for (const { span } of chunk) {
      for (const kv of span.attributes ?? []) {
        const [type, t] = text(kv);
        attrs.key.push(str(kv.key));
        attrs.value.push(str(t));
        attrs.type.push(type);
      }
      ends.attr.push(attrs.key.length);
      ends.event.push(0);
      ends.link.push(0);
    }
    const resources = at === 0 ? (trace.resourceSpans ?? []).map((rs) => ({ attributes: rs.resource?.attributes ?? [], schemaUrl: '' })) : [];
    const scopes = at === 0 ? (trace.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).map(() => ({ name: '', version: '', attributes: [], schemaUrl: '' }))) : [];
    const scopeIndex = (r: number, s: number) => (trace.resourceSpans ?? []).slice(0, r).reduce((n, rs) => n + (rs.scopeSpans ?? []).length, 0) + s;
    const names = chunk.map(({ span }) => str(span.name ?? ''));
    frame(2, json({ strings: fresh, resources, scopes }));
    const n = chunk.length;
    const words = (count: number, bytesEach: number) => Math.ceil((count * bytesEach) / 8) * 8;
    const body = new DataView(new ArrayBuffer(32 + 2 * words(n, 8) + 12 * words(n, 4) + 2 * words(n, 1) + 2 * words(attrs.key.length, 4) + words(attrs.key.length, 1) + 64));
    let p = 0;
    const u32 = (v: number) => {
      body.setUint32(p, v, true);
      p += 4;
    };
    const pad = () => {
      p = Math.ceil(p / 8) * 8;
    };
    [n, attrs.key.length, 0, 0, 0, 0, 0, 0].forEach(u32);
    for (const f of ['startTimeUnixNano', 'endTimeUnixNano'] as const) {
      for (const { span } of chunk) {
        body.setFloat64(p, Number(BigInt(span[f]!) - base), true);
        p += 8;
      }
    }
    const id = (hex: string | undefined, half: number) => (hex ? parseInt(hex.padStart(16, '0').slice(half * 8, half * 8 + 8), 16) >>> 0 : 0);
    const columns = [
      chunk.map(({ span }) => id(span.spanId, 0)),
      chunk.map(({ span }) => id(span.spanId, 1)),
      chunk.map(({ span }) => id(span.parentSpanId, 0)),
      chunk.map(({ span }) => id(span.parentSpanId, 1)),
      names,
      chunk.map(({ r }) => r),
      chunk.map(({ r, s }) => scopeIndex(r, s)),
      chunk.map(() => 0),
      chunk.map(() => 0),
      ends.attr,
      ends.event,
      ends.link,
    ];
    for (const c of columns) {
      c.forEach(u32);
      pad();
    }
    for (const { span } of chunk) body.setUint8(p++, Number(span.kind ?? 0));
    pad();
    for (const { span } of chunk) body.setUint8(p++, Number(span.status?.code ?? 0));
    pad();
    attrs.key.forEach(u32);
    pad();
    attrs.value.forEach(u32);
    pad();
    for (const t of attrs.type) body.setUint8(p++, t);
    pad();
    // No events or links: their sections take no bytes.
    frame(3, Array.from(new Uint8Array(body.buffer, 0, p)));
  }
  frame(4, json({ spans: spans.length }));
  return new Uint8Array(parts);
}

const trace = otlpTrace(
  [
    { id: 'a1', service: 'gateway', name: 'GET /checkout', start: 0, end: 100, kind: 2 },
    { id: 'b1', parent: 'a1', service: 'gateway', name: 'GET /auth', start: 5, end: 30, kind: 3 },
    { id: 'c1', parent: 'b1', service: 'auth', name: 'GET /auth', start: 6, end: 29, kind: 2 },
    { id: 'b2', parent: 'a1', service: 'gateway', name: 'POST /pay', start: 40, end: 95, kind: 3, error: true },
    { id: 'd1', parent: 'ffff', service: 'auth', name: 'lost', start: 50, end: 60 },
    { id: 'd1', parent: 'a1', service: 'auth', name: 'twin', start: 61, end: 62 },
  ],
  { gateway: 'go', auth: 'nodejs' },
);
trace.resourceSpans![0].scopeSpans![0].spans![0].attributes = [
  { key: 'http.route', value: { stringValue: '/checkout' } },
  { key: 'http.response.status_code', value: { intValue: '200' } },
];

function read(bytes: Uint8Array, chunk: number): TraceColumns {
  const reader = new ColumnsReader();
  for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
  return reader.finish();
}

describe('trace columns', () => {
  const want = buildTraceModel(trace);
  for (const [piece, chunk] of [
    [100, 1 << 20],
    [2, 7],
  ]) {
    it(`build the model OTLP JSON builds (pieces of ${piece} spans, chunks of ${chunk} bytes)`, () => {
      const m = buildTraceModelFromColumns(read(encode(trace, piece), chunk));
      expect(m.size).toBe(want.size);
      expect(m.traceId).toBe(want.traceId);
      const ids = (model: typeof m) => Array.from(model.order, (i) => model.spanIds[i].replace(/^0+/, ''));
      expect(ids(m)).toEqual(ids(want));
      expect(Array.from(m.flags)).toEqual(Array.from(want.flags));
      expect(Array.from(m.depth)).toEqual(Array.from(want.depth));
      expect(Array.from(m.start)).toEqual(Array.from(want.start));
      expect(Array.from(m.end)).toEqual(Array.from(want.end));
      expect(m.services.map((s) => [s.name, s.language, s.spanCount, s.errorCount])).toEqual(
        want.services.map((s) => [s.name, s.language, s.spanCount, s.errorCount]),
      );
      expect(m.startEpochMs).toBe(want.startEpochMs);
      expect(m.indexById.get('c1')).toBe(want.indexById.get('c1'));
      expect(m.indexById.get('00000000000000b2')).toBe(want.indexById.get('b2'));
      expect(m.indexById.get('nope')).toBeUndefined();
      const root = m.raw[0];
      expect(root.name).toBe('GET /checkout');
      expect(root.startTimeUnixNano).toBe(want.raw[0].startTimeUnixNano);
      expect(root.attributes).toEqual([
        { key: 'http.route', value: { stringValue: '/checkout' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
      ]);
      expect(m.raw[want.indexById.get('b2')!].status?.code).toBe(2);
    });
  }

  it('finds in the trace what the OTLP JSON model finds', () => {
    const m = buildTraceModelFromColumns(read(encode(trace, 2), 64));
    const ids = (model: typeof m, q: string) => Array.from(findSpans(model, q), (i) => model.spanIds[i].replace(/^0+/, ''));
    for (const q of ['checkout', 'AUTH', '/check', 'http.route=/checkout', 'http.response.status_code=200', 'nothing here', 'twin']) {
      expect(ids(m, q), q).toEqual(ids(want, q));
    }
    expect(ids(m, 'checkout').length).toBeGreaterThan(0);
  });

  it('refuses an answer that ends early', () => {
    const bytes = encode(trace, 2);
    expect(() => read(bytes.subarray(0, bytes.length - 8), 64)).toThrow(/ended early/);
  });

  it('gives the spans read so far as a trace of their own, and then the whole trace', () => {
    const bytes = encode(trace, 2);
    const reader = new ColumnsReader();
    const seen: number[] = [];
    for (let at = 0; at < bytes.length; at += 16) {
      reader.push(bytes.subarray(at, at + 16));
      const partial = reader.snapshot();
      if (!partial || seen[seen.length - 1] === partial.size) continue;
      seen.push(partial.size);
      const m = buildTraceModelFromColumns(partial);
      // Span i of the first frames is span i of the whole trace.
      const spans = trace.resourceSpans!.flatMap((rs) => rs.scopeSpans!.flatMap((ss) => ss.spans!));
      for (let i = 0; i < m.size; i++) expect(m.raw[i].name).toBe(spans[i].name);
    }
    expect(seen).toEqual([2, 4, 6]);
    const whole = buildTraceModelFromColumns(reader.finish());
    expect(whole.size).toBe(want.size);
    expect(whole.raw[0].attributes).toEqual(buildTraceModelFromColumns(read(bytes, 64)).raw[0].attributes);
    expect(new ColumnsReader().snapshot()).toBeNull();
  });

  it('tells whether the spans read so far hold a root', () => {
    // Children first, as a trace's spans can come from the store: no root among the first two.
    const childrenFirst = otlpTrace([
      { id: 'b1', parent: 'a1', service: 'gateway', name: 'child', start: 5, end: 30 },
      { id: 'c1', parent: 'b1', service: 'gateway', name: 'grandchild', start: 6, end: 29 },
      { id: 'a1', service: 'gateway', name: 'root', start: 0, end: 100 },
    ]);
    const bytes = encode(childrenFirst, 2);
    const reader = new ColumnsReader();
    const roots: [number, boolean][] = [];
    for (let at = 0; at < bytes.length; at += 8) {
      reader.push(bytes.subarray(at, at + 8));
      const s = reader.snapshot();
      if (s && s.size !== roots[roots.length - 1]?.[0]) roots.push([s.size, hasRootSpan(s)]);
    }
    expect(roots).toEqual([
      [2, false],
      [3, true],
    ]);
  });

  it('makes a span\'s OTLP form on demand', () => {
    const c = read(encode(trace, 100), 1 << 20);
    expect(spanAt(c, 1).attributes).toEqual([]);
    expect(spanAt(c, 0).kind).toBe(2);
  });
});

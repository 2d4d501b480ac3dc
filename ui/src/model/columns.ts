// A trace in the server's typed columns (src/query/trace_columns.h, asked for with
// Accept: application/vnd.polytrace.trace-columns): frames read as they arrive into typed arrays
// and one table of strings, with no object per span. A million-span trace was 874 MB of OTLP
// JSON parsed into a million objects; here a span's OTLP form is made only when a view asks for
// it (the details panel, a visible row), from the columns.
import type { OtlpAnyValue, OtlpKeyValue, OtlpSpan } from '../api/types';

export const TRACE_COLUMNS_MEDIA_TYPE = 'application/vnd.polytrace.trace-columns';

const FRAME_HEAD = 1;
const FRAME_TABLES = 2;
const FRAME_SPANS = 3;
const FRAME_END = 4;

export interface ColumnsResource {
  attributes: OtlpKeyValue[];
  schemaUrl: string;
}

export interface ColumnsScope {
  name: string;
  version: string;
  attributes: OtlpKeyValue[];
  schemaUrl: string;
}

/** A list of attributes of many owners: owner i's are [start[i], start[i + 1]). */
export interface AttributeColumns {
  start: Uint32Array;
  key: Uint32Array;
  value: Uint32Array;
  type: Uint8Array;
}

export interface TraceColumns {
  traceId: string;
  /** Unix nanoseconds that the times are after, split exactly: baseSecs s + baseNs ns. */
  baseSecs: number;
  baseNs: number;
  size: number;
  strings: string[];
  resources: ColumnsResource[];
  scopes: ColumnsScope[];
  start: Float64Array;
  end: Float64Array;
  idHigh: Uint32Array;
  idLow: Uint32Array;
  parentHigh: Uint32Array;
  parentLow: Uint32Array;
  name: Uint32Array;
  resource: Uint32Array;
  scope: Uint32Array;
  statusMessage: Uint32Array;
  traceState: Uint32Array;
  kind: Uint8Array;
  status: Uint8Array;
  attributes: AttributeColumns;
  /** Span i's events are [eventStart[i], eventStart[i + 1]). */
  eventStart: Uint32Array;
  eventTime: Float64Array;
  eventName: Uint32Array;
  eventAttributes: AttributeColumns;
  linkStart: Uint32Array;
  /** Four words per link (its trace ID's bytes, big-endian), and two for its span ID. */
  linkTrace: Uint32Array;
  linkSpan: Uint32Array;
  linkTraceState: Uint32Array;
  linkAttributes: AttributeColumns;
}

interface SpansFrame {
  n: number;
  start: Float64Array;
  end: Float64Array;
  u32: Uint32Array[]; // idHigh .. linkEnd, in the frame's order
  kind: Uint8Array;
  status: Uint8Array;
  attrs: FrameAttributes;
  eventTime: Float64Array;
  eventName: Uint32Array;
  eventAttrEnd: Uint32Array;
  eventAttrs: FrameAttributes;
  linkTrace: Uint32Array;
  linkSpan: Uint32Array;
  linkTraceState: Uint32Array;
  linkAttrEnd: Uint32Array;
  linkAttrs: FrameAttributes;
}

interface FrameAttributes {
  key: Uint32Array;
  value: Uint32Array;
  type: Uint8Array;
}

const U32_COLUMNS = [
  'idHigh',
  'idLow',
  'parentHigh',
  'parentLow',
  'name',
  'resource',
  'scope',
  'statusMessage',
  'traceState',
  'attributeEnd',
  'eventEnd',
  'linkEnd',
] as const;

/** Reads the frames of a columns answer from the chunks of its body, as they come. */
export class ColumnsReader {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private head: { traceId: string; baseUnixNanos: string } | null = null;
  private strings: string[] = [''];
  private resources: ColumnsResource[] = [];
  private scopes: ColumnsScope[] = [];
  private frames: SpansFrame[] = [];
  private ended = false;
  /** Spans read so far. */
  spans = 0;

  push(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    for (;;) {
      if (this.pendingBytes < 8) return;
      const header = this.peek(8);
      const view = new DataView(header.buffer, header.byteOffset, 8);
      const type = view.getUint32(0, true);
      const length = view.getUint32(4, true);
      if (this.pendingBytes < 8 + length) return;
      this.take(8);
      this.frame(type, this.take(length));
    }
  }

  finish(): TraceColumns {
    if (this.pendingBytes !== 0 || !this.ended || !this.head) throw new Error('the trace answer ended early');
    return this.assemble(true);
  }

  /**
   * The spans read so far, as a trace of their own (null before any): a view of a big trace can
   * be drawn from its first frames while the rest streams in. Span i here is span i of the
   * finished trace; the frames are kept for finish().
   */
  snapshot(): TraceColumns | null {
    if (!this.head || this.spans === 0) return null;
    return this.assemble(false);
  }

  /** The first `n` pending bytes (copied only when they span chunks). */
  private peek(n: number): Uint8Array {
    const first = this.pending[0];
    if (first.byteLength >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.pending) {
      const part = c.subarray(0, Math.min(c.byteLength, n - at));
      out.set(part, at);
      at += part.byteLength;
      if (at === n) break;
    }
    return out;
  }

  /** Removes and returns the next `n` bytes, in a buffer of their own (aligned for typed arrays). */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.pending[0];
      const part = c.subarray(0, Math.min(c.byteLength, n - at));
      out.set(part, at);
      at += part.byteLength;
      if (part.byteLength === c.byteLength) this.pending.shift();
      else this.pending[0] = c.subarray(part.byteLength);
    }
    this.pendingBytes -= n;
    return out;
  }

  private frame(type: number, body: Uint8Array): void {
    if (type === FRAME_HEAD) {
      this.head = JSON.parse(new TextDecoder().decode(body)) as { traceId: string; baseUnixNanos: string };
    } else if (type === FRAME_TABLES) {
      const t = JSON.parse(new TextDecoder().decode(body)) as { strings: string[]; resources: ColumnsResource[]; scopes: ColumnsScope[] };
      for (const s of t.strings) this.strings.push(s);
      for (const r of t.resources) this.resources.push(r);
      for (const s of t.scopes) this.scopes.push(s);
    } else if (type === FRAME_SPANS) {
      this.frames.push(spansFrame(body));
      this.spans += this.frames[this.frames.length - 1].n;
    } else if (type === FRAME_END) {
      this.ended = true;
    }
  }

  /** The frames read so far as one set of columns; `consume`: the frames are let go. */
  private assemble(consume: boolean): TraceColumns {
    const head = this.head!;
    const n = this.spans;
    let nAttrs = 0;
    let nEvents = 0;
    let nEventAttrs = 0;
    let nLinks = 0;
    let nLinkAttrs = 0;
    for (const f of this.frames) {
      nAttrs += f.attrs.key.length;
      nEvents += f.eventTime.length;
      nEventAttrs += f.eventAttrs.key.length;
      nLinks += f.linkTraceState.length;
      nLinkAttrs += f.linkAttrs.key.length;
    }
    const u32 = U32_COLUMNS.map(() => new Uint32Array(n));
    const c = {
      start: new Float64Array(n),
      end: new Float64Array(n),
      kind: new Uint8Array(n),
      status: new Uint8Array(n),
      attributes: newAttributes(n, nAttrs),
      eventStart: new Uint32Array(n + 1),
      eventTime: new Float64Array(nEvents),
      eventName: new Uint32Array(nEvents),
      eventAttributes: newAttributes(nEvents, nEventAttrs),
      linkStart: new Uint32Array(n + 1),
      linkTrace: new Uint32Array(4 * nLinks),
      linkSpan: new Uint32Array(2 * nLinks),
      linkTraceState: new Uint32Array(nLinks),
      linkAttributes: newAttributes(nLinks, nLinkAttrs),
    };
    let at = 0;
    let attrAt = 0;
    let eventAt = 0;
    let eventAttrAt = 0;
    let linkAt = 0;
    let linkAttrAt = 0;
    for (const f of this.frames) {
      c.start.set(f.start, at);
      c.end.set(f.end, at);
      f.u32.forEach((column, k) => u32[k].set(column, at));
      c.kind.set(f.kind, at);
      c.status.set(f.status, at);
      const attrEnd = f.u32[9];
      const eventEnd = f.u32[10];
      const linkEnd = f.u32[11];
      for (let i = 0; i < f.n; i++) {
        c.attributes.start[at + i + 1] = attrAt + attrEnd[i];
        c.eventStart[at + i + 1] = eventAt + eventEnd[i];
        c.linkStart[at + i + 1] = linkAt + linkEnd[i];
      }
      copyAttributes(c.attributes, f.attrs, attrAt);
      c.eventTime.set(f.eventTime, eventAt);
      c.eventName.set(f.eventName, eventAt);
      for (let e = 0; e < f.eventTime.length; e++) c.eventAttributes.start[eventAt + e + 1] = eventAttrAt + f.eventAttrEnd[e];
      copyAttributes(c.eventAttributes, f.eventAttrs, eventAttrAt);
      c.linkTrace.set(f.linkTrace, 4 * linkAt);
      c.linkSpan.set(f.linkSpan, 2 * linkAt);
      c.linkTraceState.set(f.linkTraceState, linkAt);
      for (let l = 0; l < f.linkTraceState.length; l++) c.linkAttributes.start[linkAt + l + 1] = linkAttrAt + f.linkAttrEnd[l];
      copyAttributes(c.linkAttributes, f.linkAttrs, linkAttrAt);
      at += f.n;
      attrAt += f.attrs.key.length;
      eventAt += f.eventTime.length;
      eventAttrAt += f.eventAttrs.key.length;
      linkAt += f.linkTraceState.length;
      linkAttrAt += f.linkAttrs.key.length;
    }
    if (consume) this.frames = [];
    const base = head.baseUnixNanos;
    const [idHigh, idLow, parentHigh, parentLow, name, resource, scope, statusMessage, traceState] = u32;
    return {
      traceId: head.traceId.toLowerCase(),
      baseSecs: base.length > 9 ? Number(base.slice(0, -9)) : 0,
      baseNs: Number(base.length > 9 ? base.slice(-9) : base),
      size: n,
      // A snapshot's tables are copies: the reader goes on appending to its own.
      strings: consume ? this.strings : this.strings.slice(),
      resources: consume ? this.resources : this.resources.slice(),
      scopes: consume ? this.scopes : this.scopes.slice(),
      idHigh,
      idLow,
      parentHigh,
      parentLow,
      name,
      resource,
      scope,
      statusMessage,
      traceState,
      ...c,
    };
  }
}

/**
 * Whether some span has no parent: a trace's first frames are worth drawing only once its root
 * is among them (the spans of a big trace arrive in the store's order, not the tree's; before
 * the root, every row would be a fragment whose parent is still on its way).
 */
export function hasRootSpan(c: TraceColumns): boolean {
  for (let i = 0; i < c.size; i++) if (c.parentHigh[i] === 0 && c.parentLow[i] === 0) return true;
  return false;
}

function newAttributes(owners: number, n: number): AttributeColumns {
  return { start: new Uint32Array(owners + 1), key: new Uint32Array(n), value: new Uint32Array(n), type: new Uint8Array(n) };
}

function copyAttributes(to: AttributeColumns, from: FrameAttributes, at: number) {
  to.key.set(from.key, at);
  to.value.set(from.value, at);
  to.type.set(from.type, at);
}

/** Views of a spans frame's sections (each padded to 8 bytes). */
function spansFrame(body: Uint8Array): SpansFrame {
  const buf = body.buffer;
  const counts = new Uint32Array(buf, body.byteOffset, 8);
  const [n, nAttrs, nEvents, nEventAttrs, nLinks, nLinkAttrs] = counts;
  let at = body.byteOffset + 32;
  const section = <T>(make: (offset: number) => T, bytes: number): T => {
    const v = make(at);
    at += Math.ceil(bytes / 8) * 8;
    return v;
  };
  const f64 = (count: number) => section((o) => new Float64Array(buf, o, count), 8 * count);
  const u32 = (count: number) => section((o) => new Uint32Array(buf, o, count), 4 * count);
  const u8 = (count: number) => section((o) => new Uint8Array(buf, o, count), count);
  const attributes = (count: number): FrameAttributes => ({ key: u32(count), value: u32(count), type: u8(count) });
  const frame: SpansFrame = {
    n,
    start: f64(n),
    end: f64(n),
    u32: U32_COLUMNS.map(() => u32(n)),
    kind: u8(n),
    status: u8(n),
    attrs: attributes(nAttrs),
    eventTime: f64(nEvents),
    eventName: u32(nEvents),
    eventAttrEnd: u32(nEvents),
    eventAttrs: attributes(nEventAttrs),
    linkTrace: u32(4 * nLinks),
    linkSpan: u32(2 * nLinks),
    linkTraceState: u32(nLinks),
    linkAttrEnd: u32(nLinks),
    linkAttrs: attributes(nLinkAttrs),
  };
  if (at > body.byteOffset + body.byteLength) throw new Error('a spans frame is shorter than its counts say');
  return frame;
}

export function hexId(high: number, low: number): string {
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

/** Attribute k of `list` in OTLP JSON form. */
function attributeAt(c: TraceColumns, list: AttributeColumns, k: number): OtlpKeyValue {
  const text = c.strings[list.value[k]];
  let value: OtlpAnyValue;
  switch (list.type[k]) {
    case 1: value = { stringValue: text }; break;
    case 2: value = { boolValue: text === 'true' }; break;
    case 3: value = { intValue: text }; break;
    case 4: value = { doubleValue: Number(text) }; break;
    case 5: value = { bytesValue: text }; break;
    case 6:
    case 7: value = JSON.parse(text) as OtlpAnyValue; break;
    default: value = {};
  }
  return { key: c.strings[list.key[k]], value };
}

function attributesOf(c: TraceColumns, list: AttributeColumns, owner: number): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (let k = list.start[owner]; k < list.start[owner + 1]; k++) out.push(attributeAt(c, list, k));
  return out;
}

/** Model time (ns after the base) as Unix nanoseconds, exactly. */
function unixNanos(c: TraceColumns, t: number): string {
  return (BigInt(c.baseSecs) * 1_000_000_000n + BigInt(c.baseNs) + BigInt(Math.round(t))).toString();
}

/** Span i in OTLP JSON form, as the OTLP JSON answer would hold it. */
export function spanAt(c: TraceColumns, i: number): OtlpSpan {
  const parent = c.parentHigh[i] || c.parentLow[i] ? hexId(c.parentHigh[i], c.parentLow[i]) : '';
  const events = [];
  for (let e = c.eventStart[i]; e < c.eventStart[i + 1]; e++) {
    events.push({ timeUnixNano: unixNanos(c, c.eventTime[e]), name: c.strings[c.eventName[e]], attributes: attributesOf(c, c.eventAttributes, e) });
  }
  const links = [];
  for (let l = c.linkStart[i]; l < c.linkStart[i + 1]; l++) {
    const t = c.linkTrace;
    links.push({
      traceId: hexId(t[4 * l], t[4 * l + 1]) + hexId(t[4 * l + 2], t[4 * l + 3]),
      spanId: hexId(c.linkSpan[2 * l], c.linkSpan[2 * l + 1]),
      traceState: c.strings[c.linkTraceState[l]] || undefined,
      attributes: attributesOf(c, c.linkAttributes, l),
    });
  }
  const message = c.strings[c.statusMessage[i]];
  return {
    traceId: c.traceId,
    spanId: hexId(c.idHigh[i], c.idLow[i]),
    parentSpanId: parent || undefined,
    traceState: c.strings[c.traceState[i]] || undefined,
    name: c.strings[c.name[i]],
    kind: c.kind[i],
    startTimeUnixNano: unixNanos(c, c.start[i]),
    endTimeUnixNano: unixNanos(c, c.end[i]),
    attributes: attributesOf(c, c.attributes, i),
    events,
    links,
    status: c.status[i] || message ? { code: c.status[i], message: message || undefined } : undefined,
  };
}

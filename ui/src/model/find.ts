// Search within a trace: spans whose name, service, span ID, or an attribute key or value (span,
// event or resource) contains the text, case-insensitively; `key=value` matches that attribute
// exactly. Results come in waterfall (pre-order) order.
import { anyValueToString } from './attributes';
import type { TraceModel } from './trace';

type Shape = Pick<TraceModel, 'size' | 'order' | 'raw' | 'spanIds' | 'service' | 'services' | 'resource' | 'resources' | 'matchText'>;

export function findSpans(m: Shape, text: string): Int32Array {
  const q = text.trim().toLowerCase();
  if (!q) return new Int32Array(0);
  const eq = /^([^=\s]+)=(.*)$/.exec(q);
  const serviceHit = m.services.map((s) => s.name.toLowerCase().includes(q));
  const resourceHit = m.resources.map((r) =>
    r.attributes.some((kv) => (eq ? kv.key.toLowerCase() === eq[1] && anyValueToString(kv.value).toLowerCase() === eq[2] : false)),
  );
  const out: number[] = [];
  const own = m.matchText?.(q, eq ? [eq[1], eq[2]] : null);
  const maybeId = /^[0-9a-f]+$/.test(q); // a span ID's prefix (made on demand from columns)
  for (let p = 0; p < m.size; p++) {
    const v = m.order[p];
    if (own) {
      if (own[v] || (eq ? resourceHit[m.resource[v]] : serviceHit[m.service[v]] || (maybeId && m.spanIds[v].startsWith(q)))) out.push(v);
      continue;
    }
    const s = m.raw[v];
    let hit: boolean;
    if (eq) {
      hit = resourceHit[m.resource[v]] || (s.attributes ?? []).some((kv) => kv.key.toLowerCase() === eq[1] && anyValueToString(kv.value).toLowerCase() === eq[2]);
    } else {
      hit =
        serviceHit[m.service[v]] ||
        (s.name ?? '').toLowerCase().includes(q) ||
        m.spanIds[v].startsWith(q) ||
        (s.attributes ?? []).some((kv) => kv.key.toLowerCase().includes(q) || anyValueToString(kv.value).toLowerCase().includes(q)) ||
        (s.events ?? []).some((e) => (e.name ?? '').toLowerCase().includes(q));
    }
    if (hit) out.push(v);
  }
  return Int32Array.from(out);
}

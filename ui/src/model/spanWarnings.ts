// What is wrong with each span, for the marks on its row and the details panel: what the model
// itself sees (orphans, duplicate IDs, cycles) and the analysis API's findings naming the span.
import type { Finding } from '../api/types';
import { SpanFlag, type TraceModel } from './trace';

export interface SpanWarning {
  kind: string;
  message: string;
}

export function spanWarnings(m: Pick<TraceModel, 'size' | 'flags' | 'raw' | 'indexById'>, findings: Finding[]): Map<number, SpanWarning[]> {
  const out = new Map<number, SpanWarning[]>();
  const add = (i: number, w: SpanWarning) => {
    const list = out.get(i) ?? [];
    if (!list.some((x) => x.message === w.message)) list.push(w);
    out.set(i, list);
  };
  for (let i = 0; i < m.size; i++) {
    const f = m.flags[i];
    if (!(f & (SpanFlag.Orphan | SpanFlag.DuplicateId | SpanFlag.CycleCut))) continue;
    if (f & SpanFlag.Orphan) add(i, { kind: 'orphan', message: `orphan: parent span ${m.raw[i].parentSpanId} is not in this trace` });
    if (f & SpanFlag.DuplicateId) add(i, { kind: 'duplicate_span_id', message: 'another span in this trace has the same span ID' });
    if (f & SpanFlag.CycleCut) add(i, { kind: 'cycle', message: 'its parent links form a cycle; shown as a root' });
  }
  for (const finding of findings) {
    for (const ref of finding.spans ?? []) {
      const i = m.indexById.get(ref.spanID.toLowerCase());
      if (i === undefined) continue;
      // The model's own orphan note says the same as the analysis' orphan finding.
      if (finding.kind === 'orphan' && m.flags[i] & SpanFlag.Orphan) continue;
      add(i, { kind: finding.kind, message: finding.message });
    }
  }
  return out;
}

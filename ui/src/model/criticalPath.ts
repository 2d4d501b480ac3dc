// The critical path of a trace, Jaeger's way: from the root's end, walk back through the child
// that finished last before the current point in time, descend into it, and when a span has no
// such child the span itself is critical back to its start, then its parent resumes there.
// Children are first clipped to their parent's time window (clock skew, async children).
// Iterative, with a cursor per span into its children sorted by end time, so a span with a
// million children or a chain a million deep costs O(n log n).
import type { TraceModel } from './trace';

export interface CriticalSection {
  span: number;
  start: number;
  end: number;
}

type Shape = Pick<TraceModel, 'size' | 'childStart' | 'childList' | 'parent'>;

export function criticalPath(m: Shape, start: Float64Array, end: Float64Array, root: number): CriticalSection[] {
  const sections: CriticalSection[] = [];
  if (root < 0 || root >= m.size) return sections;
  // Clipped times; computed lazily per visited subtree's children.
  const cStart = new Float64Array(m.size);
  const cEnd = new Float64Array(m.size);
  const valid = new Uint8Array(m.size);
  cStart[root] = start[root];
  cEnd[root] = end[root];
  valid[root] = 1;
  const byEnd = new Map<number, number[]>();
  const cursor = new Int32Array(m.size);

  const sortedChildren = (v: number): number[] => {
    let list = byEnd.get(v);
    if (list) return list;
    list = [];
    for (let c = m.childStart[v]; c < m.childStart[v + 1]; c++) {
      const child = m.childList[c];
      const s = Math.max(start[child], cStart[v]);
      const e = Math.min(end[child], cEnd[v]);
      if (start[child] > cEnd[v] || e < s) continue; // starts after the parent ended: not on the path
      cStart[child] = s;
      cEnd[child] = e;
      valid[child] = 1;
      list.push(child);
    }
    list.sort((a, b) => cEnd[b] - cEnd[a] || cStart[b] - cStart[a]);
    byEnd.set(v, list);
    return list;
  };

  // The last-finishing child of v that ends strictly before `before` (or at all when undefined).
  const lastFinishing = (v: number, before: number | undefined): number => {
    const list = sortedChildren(v);
    let k = cursor[v];
    if (before !== undefined) while (k < list.length && cEnd[list[k]] >= before) k++;
    cursor[v] = k;
    return k < list.length ? list[k] : -1;
  };

  let v = root;
  let returning: number | undefined = undefined;
  for (let guard = 0; guard < 4 * m.size + 4; guard++) {
    const sectionEnd = returning ?? cEnd[v];
    const child = lastFinishing(v, returning);
    if (child >= 0) {
      if (cEnd[child] !== sectionEnd) sections.push({ span: v, start: cEnd[child], end: sectionEnd });
      v = child;
      returning = undefined;
      // The child's own section ends at its (clipped) end: the next loop takes it from there.
      continue;
    }
    if (cStart[v] !== sectionEnd) sections.push({ span: v, start: cStart[v], end: sectionEnd });
    if (v === root) break;
    returning = cStart[v];
    v = m.parent[v];
  }
  return sections;
}

/** The sections grouped by span, as flat arrays: span i's are [offsets[i], offsets[i+1]). */
export interface CriticalIndex {
  offsets: Int32Array;
  from: Float64Array;
  to: Float64Array;
}

export function indexBySpan(size: number, sections: CriticalSection[]): CriticalIndex {
  const offsets = new Int32Array(size + 1);
  for (const s of sections) offsets[s.span + 1]++;
  for (let i = 0; i < size; i++) offsets[i + 1] += offsets[i];
  const fill = offsets.slice(0, size);
  const from = new Float64Array(sections.length);
  const to = new Float64Array(sections.length);
  for (const s of sections) {
    const k = fill[s.span]++;
    from[k] = s.start;
    to[k] = s.end;
  }
  return { offsets, from, to };
}

/** Per span, whether any of its time is on the critical path. */
export function criticalSpans(size: number, sections: CriticalSection[]): Uint8Array {
  const on = new Uint8Array(size);
  for (const s of sections) on[s.span] = 1;
  return on;
}

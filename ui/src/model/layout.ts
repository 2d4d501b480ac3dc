// Which spans are rows of the waterfall, given what is collapsed. The rows are the pre-order
// with every collapsed span's subtree skipped (one jump of subtreeSize), so the cost is the
// number of rows plus the number of collapsed spans passed — not the trace size.
import type { TraceModel } from './trace';

type TreeShape = Pick<TraceModel, 'size' | 'order' | 'position' | 'subtreeSize' | 'parent' | 'depth' | 'childStart'>;

export function visibleRows(m: TreeShape, collapsed: Uint8Array): Int32Array {
  const rows = new Int32Array(m.size);
  let n = 0;
  for (let p = 0; p < m.size; ) {
    const v = m.order[p];
    rows[n++] = v;
    p += collapsed[v] ? m.subtreeSize[v] : 1;
  }
  return rows.slice(0, n);
}

/**
 * The initial collapse state. A small trace is shown whole; a big one down to the deepest level
 * at which at most `budget` rows show, so opening it costs little and subtrees unfold on demand.
 */
export function initialCollapsed(m: TreeShape, budget = 2000): Uint8Array {
  const collapsed = new Uint8Array(m.size);
  if (m.size <= budget) return collapsed;
  const perDepth: number[] = [];
  for (let v = 0; v < m.size; v++) perDepth[m.depth[v]] = (perDepth[m.depth[v]] ?? 0) + 1;
  let shown = 0;
  let depth = 0;
  // The roots' children are always shown, however many: a root with 2,000 children (a batch
  // job's loop) opened as a lone collapsed row.
  while (depth < perDepth.length && (depth <= 1 || shown + perDepth[depth] <= budget)) shown += perDepth[depth++];
  const last = Math.max(0, depth - 1);
  for (let v = 0; v < m.size; v++) if (m.depth[v] >= last && hasChildren(m, v)) collapsed[v] = 1;
  return collapsed;
}

export function hasChildren(m: Pick<TraceModel, 'childStart'>, v: number): boolean {
  return m.childStart[v + 1] > m.childStart[v];
}

export function collapseAll(m: TreeShape): Uint8Array {
  const collapsed = new Uint8Array(m.size);
  for (let v = 0; v < m.size; v++) if (hasChildren(m, v)) collapsed[v] = 1;
  return collapsed;
}

/**
 * The collapse state for `next`, a larger load of the trace `prev` was the first spans of (span i
 * is the same span in both, as when a big trace is shown from its first frames and then whole):
 * next's initial state, with every span the user collapsed or expanded in prev kept so.
 */
export function carryCollapsed(prev: TreeShape, prevCollapsed: Uint8Array, next: TreeShape): Uint8Array {
  const out = initialCollapsed(next);
  const prevInitial = initialCollapsed(prev);
  const n = Math.min(prev.size, next.size, prevCollapsed.length);
  for (let v = 0; v < n; v++) if (prevCollapsed[v] !== prevInitial[v]) out[v] = prevCollapsed[v];
  return out;
}

/** Expands every ancestor of v so that v becomes a row. Returns a new array when it changes. */
export function revealSpan(m: TreeShape, collapsed: Uint8Array, v: number): Uint8Array {
  let out = collapsed;
  for (let p = m.parent[v]; p >= 0; p = m.parent[p]) {
    if (out[p]) {
      if (out === collapsed) out = collapsed.slice();
      out[p] = 0;
    }
  }
  return out;
}

/** Row index of span v, or -1 when it is hidden: binary search, rows are in pre-order. */
export function rowOf(m: TreeShape, rows: Int32Array, v: number): number {
  const target = m.position[v];
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = m.position[rows[mid]];
    if (p === target) return mid;
    if (p < target) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

// Trace comparison. Spans are matched by their path of service+name pairs from the root, with an
// occurrence number among same-named siblings (the third "SELECT users" under a span matches the
// third one in the other trace). The result is one merged tree: each node has its span in A, in
// B, or both, and their durations.
import type { TraceModel } from './trace';

export interface CompareNode {
  key: string;
  service: string;
  name: string;
  depth: number;
  a: number;
  b: number;
  durationA: number;
  durationB: number;
  parent: number;
  children: number[];
}

export interface CompareResult {
  nodes: CompareNode[];
  /** Pre-order of the merged tree. */
  order: number[];
  matched: number;
  onlyA: number;
  onlyB: number;
}

type Shape = Pick<TraceModel, 'size' | 'order' | 'parent' | 'service' | 'services' | 'spanName' | 'start' | 'end'>;

/** Path keys of every span: parentKey / service␟name #occurrence. */
export function pathKeys(m: Shape): string[] {
  const keys: string[] = new Array(m.size);
  const seen = new Map<string, number>();
  for (let p = 0; p < m.size; p++) {
    const v = m.order[p]; // pre-order: parents first, siblings by start time
    const parentKey = m.parent[v] >= 0 ? keys[m.parent[v]] : '';
    const base = `${parentKey}/${m.services[m.service[v]].name}\u241f${m.spanName(v)}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    keys[v] = `${base}#${n}`;
  }
  return keys;
}

export function compareTraces(a: Shape, b: Shape): CompareResult {
  const keysA = pathKeys(a);
  const keysB = pathKeys(b);
  const nodes: CompareNode[] = [];
  const byKey = new Map<string, number>();
  const add = (m: Shape, keys: string[], side: 'a' | 'b') => {
    for (let p = 0; p < m.size; p++) {
      const v = m.order[p];
      const key = keys[v];
      let id = byKey.get(key);
      if (id === undefined) {
        const parentId = m.parent[v] >= 0 ? byKey.get(keys[m.parent[v]])! : -1;
        id = nodes.length;
        byKey.set(key, id);
        nodes.push({
          key,
          service: m.services[m.service[v]].name,
          name: m.spanName(v),
          depth: parentId >= 0 ? nodes[parentId].depth + 1 : 0,
          a: -1,
          b: -1,
          durationA: NaN,
          durationB: NaN,
          parent: parentId,
          children: [],
        });
        if (parentId >= 0) nodes[parentId].children.push(id);
      }
      const node = nodes[id];
      if (side === 'a') {
        node.a = v;
        node.durationA = m.end[v] - m.start[v];
      } else {
        node.b = v;
        node.durationB = m.end[v] - m.start[v];
      }
    }
  };
  add(a, keysA, 'a');
  add(b, keysB, 'b');

  const order: number[] = [];
  const stack: number[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i].parent < 0) stack.push(i);
  while (stack.length) {
    const id = stack.pop()!;
    order.push(id);
    const ch = nodes[id].children;
    for (let k = ch.length - 1; k >= 0; k--) stack.push(ch[k]);
  }
  let matched = 0;
  let onlyA = 0;
  let onlyB = 0;
  for (const n of nodes) {
    if (n.a >= 0 && n.b >= 0) matched++;
    else if (n.a >= 0) onlyA++;
    else onlyB++;
  }
  return { nodes, order, matched, onlyA, onlyB };
}

/** The matched nodes whose duration changed most (B − A), largest absolute change first. */
export function biggestChanges(r: CompareResult, count = 5): CompareNode[] {
  return r.nodes
    .filter((n) => n.a >= 0 && n.b >= 0 && n.durationB !== n.durationA)
    .sort((x, y) => Math.abs(y.durationB - y.durationA) - Math.abs(x.durationB - x.durationA))
    .slice(0, count);
}

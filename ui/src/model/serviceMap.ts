// The service map's data and layout. The map comes from /api/servicemap; on a server without it,
// from /api/dependencies (calls only: no errors, no latency). Layout is layered: a service sits
// one layer right of its furthest caller (cycles broken), and within a layer services are ordered
// by their callers' positions so that edges cross little.
import type { Dependency, ServiceMap, ServiceMapEdge } from '../api/types';

export function mapFromDependencies(deps: Dependency[], services: string[], startMs: number, endMs: number): ServiceMap {
  const names = new Set(services);
  for (const d of deps) {
    names.add(d.parent);
    names.add(d.child);
  }
  return {
    nodes: [...names].sort().map((service) => ({ service })),
    edges: deps.map((d) => ({ from: d.parent, to: d.child, calls: d.callCount })),
    startMicros: startMs * 1000,
    endMicros: endMs * 1000,
    derived: true,
  };
}

export interface NodeBox {
  service: string;
  layer: number;
  x: number;
  y: number;
}

export interface MapLayout {
  nodes: NodeBox[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  layerGap: number;
  rowGap: number;
}

export function layoutMap(services: string[], edges: Pick<ServiceMapEdge, 'from' | 'to'>[], o: LayoutOptions): MapLayout {
  const index = new Map(services.map((s, i) => [s, i] as const));
  const out: number[][] = services.map(() => []);
  for (const e of edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a !== undefined && b !== undefined && a !== b) out[a].push(b);
  }
  // Longest-path layering over the graph with back edges (found by DFS) ignored.
  const state = new Uint8Array(services.length); // 0 new, 1 on stack, 2 done
  const forward: number[][] = services.map(() => []);
  const dfs = (root: number) => {
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [v, k] = top;
      if (k < out[v].length) {
        top[1]++;
        const w = out[v][k];
        if (state[w] === 1) continue; // back edge: a cycle
        forward[v].push(w);
        if (state[w] === 0) {
          state[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        state[v] = 2;
        stack.pop();
      }
    }
  };
  const indegree = new Int32Array(services.length);
  for (const list of out) for (const w of list) indegree[w]++;
  const starts = services.map((_, i) => i).sort((a, b) => indegree[a] - indegree[b]);
  for (const s of starts) if (state[s] === 0) dfs(s);

  const layer = new Int32Array(services.length);
  const topo = topologicalOrder(forward);
  for (const v of topo) for (const w of forward[v]) layer[w] = Math.max(layer[w], layer[v] + 1);

  const layers: number[][] = [];
  for (const v of topo) (layers[layer[v]] ??= []).push(v);
  const pos = new Float64Array(services.length);
  layers.forEach((ls, li) => {
    if (li > 0) {
      const bary = (v: number) => {
        let sum = 0;
        let n = 0;
        services.forEach((_, u) => {
          if (forward[u].includes(v)) {
            sum += pos[u];
            n++;
          }
        });
        return n ? sum / n : Infinity;
      };
      ls.sort((a, b) => bary(a) - bary(b) || services[a].localeCompare(services[b]));
    } else {
      ls.sort((a, b) => services[a].localeCompare(services[b]));
    }
    ls.forEach((v, k) => (pos[v] = k));
  });
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const colHeight = tallest * o.nodeHeight + (tallest - 1) * o.rowGap;
  const nodes: NodeBox[] = [];
  layers.forEach((ls, li) => {
    const h = ls.length * o.nodeHeight + (ls.length - 1) * o.rowGap;
    ls.forEach((v, k) => {
      nodes.push({
        service: services[v],
        layer: li,
        x: li * (o.nodeWidth + o.layerGap),
        y: (colHeight - h) / 2 + k * (o.nodeHeight + o.rowGap),
      });
    });
  });
  return {
    nodes,
    width: layers.length * o.nodeWidth + Math.max(0, layers.length - 1) * o.layerGap,
    height: colHeight,
  };
}

function topologicalOrder(forward: number[][]): number[] {
  const indeg = new Int32Array(forward.length);
  for (const list of forward) for (const w of list) indeg[w]++;
  const queue: number[] = [];
  forward.forEach((_, v) => indeg[v] === 0 && queue.push(v));
  const order: number[] = [];
  while (queue.length) {
    const v = queue.shift()!;
    order.push(v);
    for (const w of forward[v]) if (--indeg[w] === 0) queue.push(w);
  }
  return order;
}

/** Calls per minute over the map's time range. */
export function callRatePerMinute(calls: number, startMicros: number, endMicros: number): number {
  const minutes = (endMicros - startMicros) / 60e6;
  return minutes > 0 ? calls / minutes : 0;
}

// Service colours: 16 hues readable on both themes. A service keeps its colour for the whole
// session: the first time a name is seen it takes the slot its name hashes to, or the next free
// one, so the services of one trace (registered together when it loads) never share a colour.
import { colorIndex } from '../model/trace';

export const SERVICE_PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#6b8fd6', '#d37295', '#8cd17d', '#d4a6c8', '#86bcb6', '#f1a73f', '#a0cbe8',
];

const assigned = new Map<string, number>();
const taken = new Map<number, string>();

/** Gives each of `names` a colour, distinct among them when there are at most 16. */
export function registerServices(names: string[]): void {
  const size = SERVICE_PALETTE.length;
  const inUse = new Set<number>();
  for (const n of names) {
    let slot = assigned.get(n);
    if (slot === undefined || inUse.has(slot)) {
      const home = colorIndex(n, size);
      const free = (ok: (c: number) => boolean) => {
        for (let k = 0; k < size; k++) if (ok((home + k) % size)) return (home + k) % size;
        return -1;
      };
      slot = free((c) => !inUse.has(c) && !taken.has(c));
      if (slot < 0) slot = free((c) => !inUse.has(c));
      if (slot < 0) slot = home;
      assigned.set(n, slot);
      taken.set(slot, n);
    }
    inUse.add(slot);
  }
}

export function serviceColor(name: string): string {
  if (!assigned.has(name)) registerServices([name]);
  return SERVICE_PALETTE[assigned.get(name)!];
}

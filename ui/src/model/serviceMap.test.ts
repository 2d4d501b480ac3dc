import { describe, expect, it } from 'vitest';
import { callRatePerMinute, layoutMap, mapFromDependencies } from './serviceMap';

describe('service map', () => {
  it('derives nodes and edges from dependencies', () => {
    const m = mapFromDependencies([{ parent: 'gw', child: 'auth', callCount: 30 }], ['gw', 'auth', 'lonely'], 0, 60e3);
    expect(m.nodes.map((n) => n.service)).toEqual(['auth', 'gw', 'lonely']);
    expect(m.edges).toEqual([{ from: 'gw', to: 'auth', calls: 30 }]);
    expect(callRatePerMinute(30, m.startMicros, m.endMicros)).toBe(30);
  });

  it('lays services out in layers by call depth, tolerating cycles', () => {
    const l = layoutMap(
      ['gw', 'auth', 'pay', 'notify', 'db'],
      [
        { from: 'gw', to: 'auth' },
        { from: 'gw', to: 'pay' },
        { from: 'pay', to: 'notify' },
        { from: 'notify', to: 'pay' },
        { from: 'auth', to: 'db' },
      ],
      { nodeWidth: 100, nodeHeight: 40, layerGap: 50, rowGap: 10 },
    );
    const layer = Object.fromEntries(l.nodes.map((n) => [n.service, n.layer]));
    expect(layer).toEqual({ gw: 0, auth: 1, pay: 1, notify: 2, db: 2 });
    expect(l.width).toBe(3 * 100 + 2 * 50);
  });
});

import { describe, expect, it } from 'vitest';
import { aggregateServiceHealth, semconvVersion } from './health';

describe('service health', () => {
  it('counts the findings that involve the service and collects SDK versions', () => {
    const h = aggregateServiceHealth('reco', [
      {
        traceID: 't1', spans: 3, durationNanos: 1,
        services: [
          { name: 'reco', missingName: false, language: 'python', sdkName: 'opentelemetry', sdkVersion: '1.45.1', schemaURLs: ['https://opentelemetry.io/schemas/1.11.0'], spans: 2, errors: 0 },
        ],
        hops: [{ from: 'gw', to: 'reco', valid: false, parent: { spanID: 'a', service: 'gw', name: 'x', kind: 'internal' }, child: { spanID: 'b', service: 'reco', name: 'y', kind: 'server' } }],
        unansweredCalls: [],
        findings: [
          { kind: 'clock_skew', message: 'skew', service: 'reco', peerService: 'gw', offsetNanos: 1500e6 },
          { kind: 'orphan', message: 'elsewhere', service: 'other' },
        ],
      },
      { traceID: 't2', spans: 1, durationNanos: 1, services: [], hops: [], unansweredCalls: [], findings: [] },
    ]);
    expect(h.traces).toBe(2);
    expect(h.tracesWithProblems).toBe(1);
    expect([...h.findingsByKind.keys()]).toEqual(['clock_skew']);
    expect(h.brokenHops).toHaveLength(1);
    expect(h.skewOffsetsNs).toEqual([1500e6]);
    expect(h.versions[0]).toMatchObject({ name: 'reco', languages: ['python'], sdks: ['opentelemetry 1.45.1'] });
    expect(semconvVersion(h.versions[0].schemaURLs[0])).toBe('1.11.0');
  });
});

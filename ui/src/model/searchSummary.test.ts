import { describe, expect, it } from 'vitest';
import { summarizeJaeger } from './searchSummary';

describe('search summaries', () => {
  it('summarises a Jaeger trace: root, services with languages, errors, duration', () => {
    const s = summarizeJaeger({
      traceID: 't',
      processes: {
        p1: { serviceName: 'gw', tags: [{ key: 'telemetry.sdk.language', value: 'go' }] },
        p2: { serviceName: 'pay', tags: [{ key: 'telemetry.sdk.language', value: 'java' }] },
      },
      spans: [
        { traceID: 't', spanID: 'b', operationName: 'charge', processID: 'p2', startTime: 1_000_100, duration: 50, references: [{ refType: 'CHILD_OF', traceID: 't', spanID: 'a' }], tags: [{ key: 'error', value: true }] },
        { traceID: 't', spanID: 'a', operationName: 'GET /checkout', processID: 'p1', startTime: 1_000_000, duration: 300 },
      ],
    });
    expect(s).toMatchObject({ rootService: 'gw', rootName: 'GET /checkout', spanCount: 2, errorCount: 1, startMs: 1000, durationNs: 300e3 });
    expect(s.services.map((x) => [x.name, x.language, x.errors])).toEqual([
      ['gw', 'go', 0],
      ['pay', 'java', 1],
    ]);
  });
});

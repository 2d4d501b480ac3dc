// Health of a service, aggregated over the analyses of its recent traces: what
// `polytrace verify` would report for them, counted per kind of finding, plus the SDKs and
// semantic-conventions versions each service was seen with.
import type { AnalysisHop, Finding, TraceAnalysis } from '../api/types';

export interface ServiceVersions {
  name: string;
  languages: string[];
  sdks: string[];
  schemaURLs: string[];
  missingName: boolean;
}

export interface FindingOccurrence {
  traceID: string;
  finding: Finding;
}

export interface ServiceHealth {
  service: string;
  traces: number;
  tracesWithProblems: number;
  findingsByKind: Map<string, FindingOccurrence[]>;
  brokenHops: { traceID: string; hop: AnalysisHop }[];
  skewOffsetsNs: number[];
  versions: ServiceVersions[];
}

/** Whether a finding concerns `service`: as its subject, its peer, or one of its spans. */
export function involves(f: Finding, service: string): boolean {
  return f.service === service || f.peerService === service || (f.spans ?? []).some((s) => s.service === service);
}

export function aggregateServiceHealth(service: string, analyses: TraceAnalysis[]): ServiceHealth {
  const findingsByKind = new Map<string, FindingOccurrence[]>();
  const brokenHops: ServiceHealth['brokenHops'] = [];
  const skewOffsetsNs: number[] = [];
  const versions = new Map<string, ServiceVersions>();
  let tracesWithProblems = 0;
  for (const a of analyses) {
    let problem = false;
    for (const f of a.findings ?? []) {
      if (!involves(f, service)) continue;
      problem = true;
      const list = findingsByKind.get(f.kind) ?? [];
      list.push({ traceID: a.traceID, finding: f });
      findingsByKind.set(f.kind, list);
      if (f.kind === 'clock_skew' && f.offsetNanos !== undefined) skewOffsetsNs.push(f.service === service ? f.offsetNanos : -f.offsetNanos);
    }
    for (const hop of a.hops ?? []) {
      if (!hop.valid && (hop.from === service || hop.to === service)) {
        brokenHops.push({ traceID: a.traceID, hop });
        problem = true;
      }
    }
    if (problem) tracesWithProblems++;
    for (const s of a.services ?? []) {
      const v = versions.get(s.name) ?? { name: s.name, languages: [], sdks: [], schemaURLs: [], missingName: false };
      addUnique(v.languages, s.language);
      addUnique(v.sdks, [s.sdkName, s.sdkVersion].filter(Boolean).join(' '));
      for (const u of s.schemaURLs ?? []) addUnique(v.schemaURLs, u);
      v.missingName ||= s.missingName;
      versions.set(s.name, v);
    }
  }
  const ordered = [...versions.values()].sort(
    (x, y) => Number(y.name === service) - Number(x.name === service) || x.name.localeCompare(y.name),
  );
  return {
    service,
    traces: analyses.length,
    tracesWithProblems,
    findingsByKind,
    brokenHops,
    skewOffsetsNs,
    versions: ordered,
  };
}

function addUnique(list: string[], v: string | undefined) {
  if (v && !list.includes(v)) list.push(v);
}

/** The semantic-conventions version named by a schema URL (…/schemas/1.24.0 → 1.24.0). */
export function semconvVersion(url: string): string {
  const m = /\/schemas\/([^/]+)\/?$/.exec(url);
  return m ? m[1] : url;
}

export const FINDING_TITLES: Record<string, string> = {
  broken_propagation: 'Broken context propagation',
  orphan: 'Orphan spans (parent not in trace)',
  duplicate_span_id: 'Duplicate span IDs',
  missing_service_name: 'Missing service.name',
  invalid_hop: 'Invalid parent links across services',
  clock_skew: 'Clock skew',
  child_before_parent: 'Child before parent',
  semconv_mix: 'Semantic conventions disagree',
  status_mapping: 'HTTP 4xx server spans marked ERROR',
  old_otlp: 'OTLP before 0.19',
  tracestate_dropped: 'tracestate dropped',
  missing_service_version: 'No service.version (warning)',
};

/** Findings that warn without failing the trace (as `polytrace verify` reports them). */
export const WARNING_KINDS = new Set(['missing_service_version']);

// Shapes of the query server's answers (docs/api.md): OTLP JSON from the Tempo API, Jaeger JSON,
// Tempo search results, polytrace's trace analysis and service map. Only the fields the UI reads.

export interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface OtlpEvent {
  timeUnixNano?: string;
  name?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpLink {
  traceId?: string;
  spanId?: string;
  traceState?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpStatus {
  code?: number | string;
  message?: string;
}

export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  traceState?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  events?: OtlpEvent[];
  links?: OtlpLink[];
  status?: OtlpStatus;
}

export interface OtlpScope {
  name?: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpScopeSpans {
  scope?: OtlpScope;
  schemaUrl?: string;
  spans?: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] };
  schemaUrl?: string;
  scopeSpans?: OtlpScopeSpans[];
}

export interface OtlpTrace {
  resourceSpans?: OtlpResourceSpans[];
}

export interface JaegerTag {
  key: string;
  type?: string;
  value: unknown;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM' | string;
  traceID: string;
  spanID: string;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: JaegerReference[];
  startTime: number;
  duration: number;
  tags?: JaegerTag[];
  processID: string;
  warnings?: string[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: JaegerTag[] }>;
}

export interface TempoSearchTrace {
  traceID: string;
  rootServiceName?: string;
  rootTraceName?: string;
  startTimeUnixNano?: string;
  durationMs?: number;
  spanSet?: { spans?: unknown[]; matched?: number };
}

export interface Dependency {
  parent: string;
  child: string;
  callCount: number;
}

export interface AnalysisSpanRef {
  spanID: string;
  service: string;
  name: string;
  kind: string;
}

export type FindingKind =
  | 'orphan'
  | 'duplicate_span_id'
  | 'missing_service_name'
  | 'invalid_hop'
  | 'clock_skew'
  | 'child_before_parent'
  | 'broken_propagation'
  | 'semconv_mix'
  | 'status_mapping'
  | 'old_otlp'
  | 'tracestate_dropped'
  | 'missing_service_version';

export interface Finding {
  kind: FindingKind | string;
  message: string;
  service?: string;
  peerService?: string;
  offsetNanos?: number;
  otherTraceID?: string;
  otherSpanID?: string;
  spans?: AnalysisSpanRef[];
}

export interface AnalysisService {
  name: string;
  missingName: boolean;
  language?: string;
  sdkName?: string;
  sdkVersion?: string;
  schemaURLs?: string[];
  serviceVersion?: string;
  /** Instrumentation scopes: "name version". */
  scopes?: string[];
  /** Per domain (http, db, messaging, rpc): the keys of each semantic-conventions generation. */
  semconv?: Record<string, SemconvUse>;
  /** Sends OTLP before 0.19 (instrumentation_library_spans). */
  oldOtlp?: boolean;
  spans: number;
  errors: number;
}

export interface SemconvUse {
  generation: 'old' | 'stable' | 'dup' | string;
  oldKeys: string[];
  stableKeys: string[];
  oldScopes: string[];
  stableScopes: string[];
}

export interface AnalysisHop {
  from: string;
  to: string;
  valid: boolean;
  parent: AnalysisSpanRef;
  child: AnalysisSpanRef;
}

export interface TraceAnalysis {
  traceID: string;
  spans: number;
  durationNanos: number;
  services: AnalysisService[];
  /** All of them; `hops` and `unansweredCalls` list at most 1,000 (invalid hops first). */
  hopsTotal?: number;
  invalidHopsTotal?: number;
  unansweredCallsTotal?: number;
  hops: AnalysisHop[];
  unansweredCalls: AnalysisSpanRef[];
  findings: Finding[];
}

export interface ServiceMapNode {
  service: string;
  language?: string;
  spans?: number;
  errors?: number;
}

export interface ServiceMapEdge {
  from: string;
  to: string;
  kind?: 'rpc' | 'messaging' | string;
  calls: number;
  errors?: number;
  p50Micros?: number;
  p95Micros?: number;
}

export interface ServiceMap {
  nodes: ServiceMapNode[];
  edges: ServiceMapEdge[];
  startMicros: number;
  endMicros: number;
  /** Set by the client when the map was derived from /api/dependencies (no latency, no errors). */
  derived?: boolean;
}

/** A span of another trace holding a link into this one (GET /api/backlinks/traces/{id}). */
export interface Backlink {
  traceID: string;
  spanID: string;
  serviceName: string;
  operationName: string;
  startTimeUnixNano: string;
  /** The span of this trace the link points at. */
  linkedSpanID: string;
}

export interface Backlinks {
  data: Backlink[];
  limit: number;
  truncated: boolean;
}

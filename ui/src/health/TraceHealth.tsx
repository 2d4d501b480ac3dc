// The trace health panel: what `polytrace verify` would report for this trace, from the analysis
// API — services with their SDK and semantic-conventions versions, every cross-service hop,
// calls nobody answered, and the findings (broken propagation, orphans, missing service.name,
// clock skew, …), each naming its spans.
import type { AnalysisSpanRef, TraceAnalysis } from '../api/types';
import { Link } from '../common/Link';
import { ServiceTag } from '../common/ServiceTag';
import { FINDING_TITLES, WARNING_KINDS, semconvVersion } from '../model/health';
import { formatDuration } from '../model/format';
import './health.css';

export function TraceHealth({ analysis: a, onShowSpan }: { analysis: TraceAnalysis; onShowSpan?: (spanId: string) => void }) {
  const invalidHops = a.invalidHopsTotal ?? a.hops.filter((h) => !h.valid).length;
  const hopsTotal = a.hopsTotal ?? a.hops.length;
  const callsTotal = a.unansweredCallsTotal ?? a.unansweredCalls.length;
  // A big trace's lists hold the first 1,000 (invalid hops first): say so.
  const listed = (shown: number, total: number) => (shown < total ? `${total.toLocaleString('en-US')}, the first ${shown.toLocaleString('en-US')} listed` : `${total}`);
  const byKind = new Map<string, typeof a.findings>();
  for (const f of a.findings) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  const count = (...kinds: string[]) => kinds.reduce((n, k) => n + (byKind.get(k)?.length ?? 0), 0);
  const checks: [string, string, number][] = [
    ['broken_propagation', 'one trace across every hop', byKind.get('broken_propagation')?.length ?? 0],
    ['invalid_hop', 'parent links valid across service hops', (byKind.get('invalid_hop')?.length ?? 0) || invalidHops],
    ['orphan', 'no orphans or duplicate span IDs', (byKind.get('orphan')?.length ?? 0) + (byKind.get('duplicate_span_id')?.length ?? 0)],
    ['missing_service_name', 'every span has a service.name', byKind.get('missing_service_name')?.length ?? 0],
    ['clock_skew', "children within their parents' time window", (byKind.get('clock_skew')?.length ?? 0) + (byKind.get('child_before_parent')?.length ?? 0)],
    ['sdk_mix', 'SDK versions agree (semantic conventions, HTTP status mapping, OTLP version, tracestate)', count('semconv_mix', 'status_mapping', 'old_otlp', 'tracestate_dropped')],
    ['missing_service_version', 'every service has a service.version', count('missing_service_version')],
  ];
  const spanRef = (s: AnalysisSpanRef) =>
    onShowSpan ? (
      <a href="#" onClick={(e) => { e.preventDefault(); onShowSpan(s.spanID); }} title={s.spanID}>
        {s.service}: {s.name}
      </a>
    ) : (
      <span title={s.spanID}>
        {s.service}: {s.name}
      </span>
    );
  return (
    <div class="health" data-testid="trace-health">
      <h3>Trace health</h3>
      <p class="muted">
        What <code>polytrace verify</code> reports for this trace: {a.spans} spans, {formatDuration(a.durationNanos)}.
      </p>
      <ul class="checks" data-testid="health-checks">
        {checks.map(([kind, name, problems]) => (
          <li class={problems ? (WARNING_KINDS.has(kind) ? 'warn' : 'fail') : 'pass'} data-check={kind}>
            <span class={`pill ${problems ? (WARNING_KINDS.has(kind) ? 'warn' : 'error') : 'ok'}`}>
              {problems ? (WARNING_KINDS.has(kind) ? 'WARN' : 'FAIL') : 'PASS'}
            </span>{' '}
            {name}
            {problems > 0 && <span class="muted"> — {problems} problem(s)</span>}
          </li>
        ))}
      </ul>

      {a.findings.length > 0 && (
        <>
          <h4>Findings</h4>
          <ul class="findings" data-testid="health-findings">
            {a.findings.map((f) => (
              <li data-kind={f.kind}>
                <div>
                  <span class="pill warn">{FINDING_TITLES[f.kind] ?? f.kind}</span>
                  {f.kind === 'clock_skew' && f.offsetNanos !== undefined && <span class="muted"> offset {formatDuration(f.offsetNanos)}</span>}
                </div>
                <div class="finding-message">{f.message}</div>
                {(f.spans?.length ?? 0) > 0 && <div class="finding-spans">spans: {f.spans!.map((s) => spanRef(s))}</div>}
                {f.otherTraceID && (
                  <div>
                    the context went to <Link href={`/trace/${f.otherTraceID}${f.otherSpanID ? `?span=${f.otherSpanID}` : ''}`}>trace {f.otherTraceID}</Link>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </>
      )}

      <h4>Services, SDKs and semantic conventions</h4>
      <ul class="health-services" data-testid="health-services">
        {a.services.map((s) => (
          <li>
            <div class="svc-head">
              <ServiceTag name={s.name} language={s.language} />
              {s.missingName && <span class="pill error">no service.name</span>}{' '}
              {s.serviceVersion ? <span class="muted">v{s.serviceVersion}</span> : <span class="pill warn">no service.version</span>}
              <span class="muted">
                {' '}
                · {s.spans} spans · {s.errors} errors
              </span>
            </div>
            <div class="svc-line">
              <span class="label">SDK</span> {[s.sdkName, s.sdkVersion].filter(Boolean).join(' ') || <span class="muted">—</span>}
              {s.oldOtlp && <span class="pill error">OTLP &lt; 0.19</span>}
            </div>
            {(s.scopes?.length ?? 0) > 0 && (
              <div class="svc-line scopes">
                <span class="label">instrumentation</span> {s.scopes!.join(', ')}
              </div>
            )}
            <div class="svc-line" data-testid="semconv-cell">
              <span class="label">semantic conventions</span>{' '}
              {Object.entries(s.semconv ?? {}).map(([domain, use]) => (
                <span class="semconv" title={[...use.oldKeys.map((k) => `old: ${k}`), ...use.stableKeys.map((k) => `stable: ${k}`)].join('\n')}>
                  {domain}{' '}
                  <span class={`pill ${use.generation === 'old' ? 'warn' : 'ok'}`} data-generation={use.generation}>
                    {use.generation}
                  </span>{' '}
                  <span class="muted keys">{(use.generation === 'old' ? use.oldKeys : use.stableKeys).slice(0, 3).join(', ')}</span>
                </span>
              ))}
              {s.schemaURLs?.length ? <span class="muted"> schema {s.schemaURLs.map(semconvVersion).join(', ')}</span> : null}
              {!s.schemaURLs?.length && !Object.keys(s.semconv ?? {}).length && <span class="muted">—</span>}
            </div>
          </li>
        ))}
      </ul>

      <h4>Hops between services ({listed(a.hops.length, hopsTotal)})</h4>
      <ul class="hops" data-testid="health-hops">
        {a.hops.map((h) => (
          <li class={h.valid ? '' : 'bad'}>
            <span class={`pill ${h.valid ? 'ok' : 'error'}`}>{h.valid ? '✓' : '✗'}</span> {h.from} → {h.to}{' '}
            <span class="muted">
              ({h.parent.kind} → {h.child.kind})
            </span>{' '}
            {spanRef(h.parent)} → {spanRef(h.child)}
          </li>
        ))}
      </ul>

      {a.unansweredCalls.length > 0 && (
        <>
          <h4>Calls with no answering span ({listed(a.unansweredCalls.length, callsTotal)})</h4>
          <p class="muted">Client and producer spans with no child in another service: a database or third party — or a broken hop.</p>
          <ul class="hops">
            {a.unansweredCalls.map((s) => (
              <li>
                {spanRef(s)} <span class="muted">({s.kind})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

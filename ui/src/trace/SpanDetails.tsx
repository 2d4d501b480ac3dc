// Everything about one span: timing (its duration against the trace's, its offset, its self
// time), status, attributes, events, links (to the linked trace and back), the spans that link
// here, parent and children, resource and scope, and what is wrong with it.
import type { ComponentChildren } from 'preact';
import type { Backlink, OtlpLink } from '../api/types';
import { navigate } from '../app/router';
import { ServiceTag } from '../common/ServiceTag';
import { attributePairs } from '../model/attributes';
import { formatDateTime, formatDuration, formatPercent } from '../model/format';
import { semconvVersion } from '../model/health';
import type { TimeView } from '../model/skew';
import type { SpanWarning } from '../model/spanWarnings';
import { childrenOf, modelTime, SpanFlag, SpanKind, type TraceModel } from '../model/trace';

interface Props {
  model: TraceModel;
  view: TimeView;
  span: number;
  warnings: SpanWarning[];
  /** Spans of other traces linking into this trace; those pointing at this span are listed. */
  backlinks: Backlink[];
  arrivedFrom?: { traceId: string; spanId: string };
  onJump: (v: number) => void;
  onClose: () => void;
}

const STATUS = ['unset', 'ok', 'error'];

export function SpanDetails(props: Props) {
  const { model: m, view, span: v } = props;
  const s = m.raw[v];
  const svc = m.services[m.service[v]];
  const res = m.resources[m.resource[v]];
  const scope = m.scopes[m.scope[v]];
  const start = view.start[v];
  const duration = view.end[v] - view.start[v];
  const shift = start - m.start[v];
  const parent = m.parent[v];
  const kids = childrenOf(m, v);
  const statusCode = typeof s.status?.code === 'number' ? STATUS[s.status.code] : String(s.status?.code ?? 'unset').replace('STATUS_CODE_', '').toLowerCase();
  const backLinks = linksTo(m, m.spanIds[v]);
  const remoteBackLinks = props.backlinks.filter((b) => b.linkedSpanID === m.spanIds[v]);
  const inbound = backLinks.length + remoteBackLinks.length;
  const selfTime = selfTimeOf(m, view, v);

  const openLink = (l: OtlpLink) => {
    const trace = (l.traceId ?? '').toLowerCase();
    const spanId = (l.spanId ?? '').toLowerCase();
    const local = m.indexById.get(spanId);
    if (trace === m.traceId && local !== undefined) props.onJump(local);
    else navigate(`/trace/${trace}?span=${spanId}&from=${m.traceId}:${m.spanIds[v]}`);
  };

  return (
    <div class="span-details" data-testid="span-details" data-span-id={m.spanIds[v]}>
      <div class="sd-head">
        <div class="sd-title">
          <ServiceTag name={svc.name} language={svc.language} />
          <h3 title={s.name}>{s.name}</h3>
        </div>
        <button class="btn ghost small" onClick={props.onClose} aria-label="Close details" data-testid="close-details">
          ✕
        </button>
      </div>

      {props.arrivedFrom && (
        <div class="sd-note">
          Opened through a link from span <code>{props.arrivedFrom.spanId}</code> of trace{' '}
          <a href={`/trace/${props.arrivedFrom.traceId}?span=${props.arrivedFrom.spanId}`} data-testid="back-link" onClick={(e) => { e.preventDefault(); navigate(`/trace/${props.arrivedFrom!.traceId}?span=${props.arrivedFrom!.spanId}`); }}>
            {props.arrivedFrom.traceId.slice(0, 16)}… ← back
          </a>
        </div>
      )}

      {props.warnings.length > 0 && (
        <div class="sd-warnings" data-testid="span-warnings">
          {props.warnings.map((w) => (
            <div class="sd-warning">
              <span class="pill warn">{w.kind.replace(/_/g, ' ')}</span> {w.message}
            </div>
          ))}
        </div>
      )}

      <section class="sd-timing">
        <div class="timing-bar" title="The span within the trace">
          <div style={{ left: `${(start / Math.max(1, view.durationNs)) * 100}%`, width: `${(duration / Math.max(1, view.durationNs)) * 100}%`, background: 'var(--accent)' }} />
        </div>
        <table class="kv">
          <tbody>
            <tr>
              <td>Span duration</td>
              <td data-testid="span-duration">
                <strong>{formatDuration(duration)}</strong> <span class="muted">= {formatPercent(duration, view.durationNs)} of the trace duration ({formatDuration(view.durationNs)})</span>
              </td>
            </tr>
            <tr>
              <td>Self time</td>
              <td>
                {formatDuration(selfTime)} <span class="muted">(not covered by children)</span>
              </td>
            </tr>
            <tr>
              <td>Starts</td>
              <td>
                +{formatDuration(start)} after the trace start <span class="muted">({formatDateTime(m.startEpochMs + (m.start[v]) / 1e6)})</span>
                {shift !== 0 && <div class="muted">shown shifted by {formatDuration(-shift)} (clock-skew adjustment)</div>}
              </td>
            </tr>
            <tr>
              <td>Kind</td>
              <td>{SpanKind[m.kind[v]]}</td>
            </tr>
            <tr>
              <td>Status</td>
              <td>
                <span class={`pill ${statusCode === 'error' ? 'error' : statusCode === 'ok' ? 'ok' : ''}`}>{statusCode}</span> {s.status?.message}
              </td>
            </tr>
            <tr>
              <td>Span ID</td>
              <td class="mono">{m.spanIds[v]}</td>
            </tr>
            <tr>
              <td>Parent</td>
              <td>
                {parent >= 0 ? (
                  <a href="#" data-testid="jump-parent" onClick={(e) => { e.preventDefault(); props.onJump(parent); }}>
                    ↑ {m.raw[parent].name} <span class="muted mono">{m.spanIds[parent]}</span>
                  </a>
                ) : s.parentSpanId ? (
                  <span class="mono">{s.parentSpanId} <span class="pill warn">not in trace</span></span>
                ) : (
                  <span class="muted">none (root span)</span>
                )}
              </td>
            </tr>
          </tbody>
        </table>
      </section>

      <Section title={`Attributes (${s.attributes?.length ?? 0})`} testid="sd-attributes">
        <Attributes pairs={attributePairs(s.attributes)} />
      </Section>

      {(s.events?.length ?? 0) > 0 && (
        <Section title={`Events (${s.events!.length})`} testid="sd-events">
          <ul class="sd-list">
            {s.events!.map((e) => {
              const t = modelTime(m, e.timeUnixNano) + shift;
              return (
                <li>
                  <div>
                    <span class="mono muted">+{formatDuration(t - start)}</span> <strong>{e.name}</strong>
                  </div>
                  {(e.attributes?.length ?? 0) > 0 && <Attributes pairs={attributePairs(e.attributes)} />}
                </li>
              );
            })}
          </ul>
        </Section>
      )}

      {(m.flags[v] & SpanFlag.HasLinks || inbound > 0) && (
        <Section title={`Links (${s.links?.length ?? 0} out, ${inbound} in)`} testid="sd-links">
          <ul class="sd-list">
            {(s.links ?? []).map((l) => (
              <li>
                <a href={`/trace/${l.traceId}?span=${l.spanId}`} data-testid="follow-link" onClick={(e) => { e.preventDefault(); openLink(l); }}>
                  → {(l.traceId ?? '').toLowerCase() === m.traceId ? 'this trace' : `trace ${(l.traceId ?? '').slice(0, 16)}…`}, span <span class="mono">{l.spanId}</span>
                </a>
                {(l.attributes?.length ?? 0) > 0 && <Attributes pairs={attributePairs(l.attributes)} />}
              </li>
            ))}
            {backLinks.map((b) => (
              <li>
                <a href="#" data-testid="back-link-local" onClick={(e) => { e.preventDefault(); props.onJump(b); }}>
                  ← linked from {m.raw[b].name} <span class="mono muted">{m.spanIds[b]}</span>
                </a>
              </li>
            ))}
            {remoteBackLinks.map((b) => (
              <li>
                <a href={`/trace/${b.traceID}?span=${b.spanID}`} data-testid="back-link-remote" onClick={(e) => { e.preventDefault(); navigate(`/trace/${b.traceID}?span=${b.spanID}`); }}>
                  ← linked from {b.serviceName}: {b.operationName}, trace <span class="mono">{b.traceID.slice(0, 16)}…</span>
                </a>
              </li>
            ))}
          </ul>
        </Section>
      )}

      {kids.length > 0 && (
        <Section title={`Children (${kids.length.toLocaleString()})`} testid="sd-children">
          <ul class="sd-list compact">
            {Array.from(kids.subarray(0, 50)).map((c) => (
              <li>
                <a href="#" data-testid="jump-child" onClick={(e) => { e.preventDefault(); props.onJump(c); }}>
                  ↓ {m.services[m.service[c]].name}: {m.raw[c].name}
                </a>{' '}
                <span class="muted">{formatDuration(view.end[c] - view.start[c])}</span>
              </li>
            ))}
            {kids.length > 50 && <li class="muted">… {kids.length - 50} more</li>}
          </ul>
        </Section>
      )}

      <Section title="Resource" testid="sd-resource" closed>
        <Attributes pairs={attributePairs(res.attributes)} />
        {res.schemaUrl && <div class="muted">schema {semconvVersion(res.schemaUrl)} ({res.schemaUrl})</div>}
      </Section>
      <Section title="Instrumentation scope" testid="sd-scope" closed>
        <table class="kv">
          <tbody>
            <tr>
              <td>name</td>
              <td>{scope.name || <span class="muted">—</span>}</td>
            </tr>
            <tr>
              <td>version</td>
              <td>{scope.version || <span class="muted">—</span>}</td>
            </tr>
            {scope.schemaUrl && (
              <tr>
                <td>schema</td>
                <td>{scope.schemaUrl}</td>
              </tr>
            )}
          </tbody>
        </table>
        {scope.attributes.length > 0 && <Attributes pairs={attributePairs(scope.attributes)} />}
      </Section>
    </div>
  );
}

function Section(props: { title: string; testid?: string; closed?: boolean; children: ComponentChildren }) {
  return (
    <details class="sd-section" open={!props.closed} data-testid={props.testid}>
      <summary>{props.title}</summary>
      {props.children}
    </details>
  );
}

function Attributes({ pairs }: { pairs: [string, string][] }) {
  if (pairs.length === 0) return <div class="muted">none</div>;
  return (
    <table class="kv">
      <tbody>
        {pairs.map(([k, v]) => (
          <tr>
            <td class="mono">{k}</td>
            <td class="mono">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Spans of this trace whose links point at `spanId`. */
function linksTo(m: TraceModel, spanId: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.size && out.length < 100; i++) {
    if (!(m.flags[i] & SpanFlag.HasLinks)) continue;
    if (m.raw[i].links!.some((l) => (l.spanId ?? '').toLowerCase() === spanId && (l.traceId ?? '').toLowerCase() === m.traceId)) out.push(i);
  }
  return out;
}

/** The span's duration not covered by any child (children clipped to the span). */
function selfTimeOf(m: TraceModel, view: TimeView, v: number): number {
  const a = view.start[v];
  const b = view.end[v];
  const intervals = Array.from(childrenOf(m, v))
    .map((c) => [Math.max(a, view.start[c]), Math.min(b, view.end[c])] as [number, number])
    .filter(([x, y]) => y > x)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let cursor = a;
  for (const [x, y] of intervals) {
    if (y <= cursor) continue;
    covered += y - Math.max(x, cursor);
    cursor = y;
  }
  return b - a - covered;
}

// The trace at a glance: root service and operation, ID, start, the trace duration (first span
// start → last span end, as opposed to any span's own duration), size, services and errors, and
// the traces whose spans link here (back-links).
import type { ComponentChildren } from 'preact';
import type { Backlink } from '../api/types';
import { navigate } from '../app/router';
import { useMemo } from 'preact/hooks';
import { ServiceTag } from '../common/ServiceTag';
import { formatDateTime, formatDuration } from '../model/format';
import type { TimeView } from '../model/skew';
import { mainRoot, type TraceModel } from '../model/trace';

const BACKLINKS_SHOWN = 5;

export function TraceHeader({ model: m, view, backlinks }: { model: TraceModel; view: TimeView; backlinks: Backlink[] }) {
  const root = mainRoot(m);
  const services = useMemo(() => servicesInTreeOrder(m), [m]);
  const rootSvc = root >= 0 ? m.services[m.service[root]] : undefined;
  const rootDur = root >= 0 ? view.end[root] - view.start[root] : 0;
  return (
    <div class="trace-header">
      <div class="th-title">
        <h2 data-testid="trace-title">
          {rootSvc && <ServiceTag name={rootSvc.name} language={rootSvc.language} />} {root >= 0 ? m.raw[root].name : '(no spans)'}
        </h2>
        <span class="mono muted" data-testid="trace-id">
          {m.traceId}
        </span>
      </div>
      <div class="th-stats">
        <Stat label="Trace duration" testid="trace-duration" title="From the first span's start to the last span's end">
          {formatDuration(view.durationNs)}
        </Stat>
        {root >= 0 && Math.abs(rootDur - view.durationNs) > 1000 && (
          <Stat label="Root span" title="The root span's own duration: the trace runs longer when spans end after it (async work) or start before it">
            {formatDuration(rootDur)}
          </Stat>
        )}
        <Stat label="Started">{formatDateTime(m.startEpochMs)}</Stat>
        <Stat label="Spans" testid="trace-spans">
          {m.size.toLocaleString()}
        </Stat>
        <Stat label="Depth">{m.maxDepth + 1}</Stat>
        <Stat label="Errors">{m.errorCount ? <span class="pill error">{m.errorCount}</span> : <span class="pill ok">0</span>}</Stat>
        <div class="th-services" data-testid="trace-services">
          {services.map((s) => (
            <ServiceTag name={s.name} language={s.language} count={s.spanCount} />
          ))}
        </div>
      </div>
      {backlinks.length > 0 && (
        <div class="th-backlinks" data-testid="trace-backlinks">
          <span class="muted">Linked from</span>
          {backlinks.slice(0, BACKLINKS_SHOWN).map((b) => (
            <a
              href={`/trace/${b.traceID}?span=${b.spanID}`}
              data-testid="trace-backlink"
              title={`span ${b.spanID} of trace ${b.traceID} links to span ${b.linkedSpanID} here`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/trace/${b.traceID}?span=${b.spanID}`);
              }}
            >
              {b.serviceName}: {b.operationName} <span class="mono muted">{b.traceID.slice(0, 8)}…</span>
            </a>
          ))}
          {backlinks.length > BACKLINKS_SHOWN && <span class="muted">and {backlinks.length - BACKLINKS_SHOWN} more (see the linked spans' details)</span>}
        </div>
      )}
    </div>
  );
}

function Stat(props: { label: string; title?: string; testid?: string; children: ComponentChildren }) {
  return (
    <div class="stat" title={props.title}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value" data-testid={props.testid}>
        {props.children}
      </div>
    </div>
  );
}

/** Services in the order the waterfall meets them: the root's first. */
function servicesInTreeOrder(m: TraceModel) {
  const seen = new Uint8Array(m.services.length);
  const out = [];
  for (let p = 0; p < m.size && out.length < m.services.length; p++) {
    const s = m.service[m.order[p]];
    if (!seen[s]) {
      seen[s] = 1;
      out.push(m.services[s]);
    }
  }
  return out;
}

// The found traces: root service and operation, span count, the services involved with their
// SDK languages, errors, and the trace duration (with a bar relative to the longest found).
// Two ticked traces can be compared.
import { useState } from 'preact/hooks';
import { navigate } from '../app/router';
import { registerServices } from '../common/colors';
import { Link } from '../common/Link';
import { ServiceTag } from '../common/ServiceTag';
import { formatDuration, formatRelativeAgo, plural } from '../model/format';
import type { TraceSummary } from '../model/searchSummary';

type SortKey = 'recent' | 'longest' | 'shortest' | 'spans' | 'errors';

export function ResultList(props: { traces: TraceSummary[]; hovered?: string; onHover: (id?: string) => void }) {
  const [sort, setSort] = useState<SortKey>('recent');
  const [picked, setPicked] = useState<string[]>([]);
  const traces = sorted(props.traces, sort);
  registerServices([...new Set(props.traces.flatMap((t) => t.services.map((s) => s.name)))].sort());
  const maxDur = Math.max(1, ...traces.map((t) => t.durationNs));
  const now = Date.now();
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <div class="results">
      <div class="results-bar">
        <strong data-testid="result-count">
          {traces.length} trace{traces.length === 1 ? '' : 's'}
        </strong>
        <label class="muted">
          sort{' '}
          <select class="select" value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
            <option value="recent">most recent</option>
            <option value="longest">longest first</option>
            <option value="shortest">shortest first</option>
            <option value="spans">most spans</option>
            <option value="errors">most errors</option>
          </select>
        </label>
        <span class="spacer" />
        <span class="muted">{picked.length === 2 ? 'two traces picked' : 'tick two traces to compare them'}</span>
        <button class="btn" data-testid="compare-picked" disabled={picked.length !== 2} onClick={() => navigate(`/compare/${picked[0]}/${picked[1]}`)}>
          Compare
        </button>
      </div>
      <ul class="result-list" data-testid="result-list">
        {traces.map((t) => (
          <li
            class={`result card${props.hovered === t.traceID ? ' hovered' : ''}`}
            data-testid="result"
            data-trace-id={t.traceID}
            onMouseEnter={() => props.onHover(t.traceID)}
            onMouseLeave={() => props.onHover(undefined)}
          >
            <input type="checkbox" class="pick" aria-label="Pick for comparison" data-testid="result-pick" checked={picked.includes(t.traceID)} onChange={() => toggle(t.traceID)} />
            <div class="result-main">
              <div class="result-title">
                <Link href={`/trace/${t.traceID}`} class="result-link" testid="result-link">
                  <strong>{t.rootService}</strong>: {t.rootName}
                </Link>
                <span class="mono muted trace-id">{t.traceID.slice(0, 12)}</span>
              </div>
              <div class="result-services">
                {t.services.map((s) => (
                  <ServiceTag name={s.name} language={s.language} count={s.spans || undefined} />
                ))}
              </div>
            </div>
            <div class="result-stats">
              <span class="pill" title="spans in the trace">
                {t.spanCount === undefined ? '? spans' : plural(t.spanCount, 'span')}
              </span>
              {t.errorCount ? <span class="pill error">{plural(t.errorCount, 'error')}</span> : t.errorCount === 0 ? <span class="pill ok">no errors</span> : null}
            </div>
            <div class="result-duration">
              <div class="dur-text">
                <strong>{formatDuration(t.durationNs)}</strong>
                <span class="muted" title={new Date(t.startMs).toLocaleString()}>
                  {formatRelativeAgo(t.startMs, now)}
                </span>
              </div>
              <div class="dur-bar">
                <div style={{ width: `${(t.durationNs / maxDur) * 100}%` }} class={t.errorCount ? 'error' : ''} />
              </div>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

function sorted(traces: TraceSummary[], key: SortKey): TraceSummary[] {
  const out = traces.slice();
  switch (key) {
    case 'recent':
      return out.sort((a, b) => b.startMs - a.startMs);
    case 'longest':
      return out.sort((a, b) => b.durationNs - a.durationNs);
    case 'shortest':
      return out.sort((a, b) => a.durationNs - b.durationNs);
    case 'spans':
      return out.sort((a, b) => (b.spanCount ?? 0) - (a.spanCount ?? 0));
    case 'errors':
      return out.sort((a, b) => (b.errorCount ?? 0) - (a.errorCount ?? 0));
  }
}

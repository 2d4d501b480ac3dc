// Two traces side by side: their spans matched by service+name path, one merged tree whose rows
// show each side's span on its own timeline, the two durations and the difference; spans only
// in A or only in B are marked. /compare/{a}/{b}.
import { useMemo, useState } from 'preact/hooks';
import { getTraceColumns } from '../api/client';
import { navigate } from '../app/router';
import { registerServices, serviceColor } from '../common/colors';
import { useAsync } from '../common/hooks';
import { Link } from '../common/Link';
import { ErrorBox, Loading } from '../common/Status';
import { VirtualList } from '../common/VirtualList';
import { biggestChanges, compareTraces, type CompareNode, type CompareResult } from '../model/compare';
import { formatDuration, formatPercent } from '../model/format';
import { buildTraceModelFromColumns } from '../model/columnsModel';
import { mainRoot, type TraceModel } from '../model/trace';
import { extractTraceId } from '../model/traceId';
import './compare.css';

export function ComparePage({ a, b }: { a: string; b: string }) {
  const both = useAsync(
    a && b
      ? async (signal) => {
          // Typed columns, as the trace view reads them: two big traces compare without an
          // object per span.
          const [ca, cb] = await Promise.all([getTraceColumns(a, signal), getTraceColumns(b, signal)]);
          const ma = buildTraceModelFromColumns(ca);
          const mb = buildTraceModelFromColumns(cb);
          if (!ma.size) throw new Error(`trace ${a} has no spans`);
          if (!mb.size) throw new Error(`trace ${b} has no spans`);
          registerServices([...new Set([...ma.services, ...mb.services].map((s) => s.name))]);
          return { ma, mb, result: compareTraces(ma, mb) };
        }
      : undefined,
    [a, b],
  );
  return (
    <div class="page compare-page">
      <ComparePicker a={a} b={b} />
      {both.status === 'idle' && <p class="muted">Enter two trace IDs — or tick two traces in the search results — to compare their structure and latencies.</p>}
      {both.status === 'loading' && <Loading>Loading both traces…</Loading>}
      {both.status === 'error' && <ErrorBox title="Could not compare" message={both.error} />}
      {both.status === 'done' && <Comparison ma={both.value.ma} mb={both.value.mb} result={both.value.result} />}
    </div>
  );
}

function ComparePicker({ a, b }: { a: string; b: string }) {
  const [ia, setA] = useState(a);
  const [ib, setB] = useState(b);
  const submit = (e: Event) => {
    e.preventDefault();
    const x = extractTraceId(ia);
    const y = extractTraceId(ib);
    if (x && y) navigate(`/compare/${x}/${y}`);
  };
  return (
    <form class="compare-picker" onSubmit={submit}>
      <h2>Compare traces</h2>
      <input class="input mono" placeholder="trace A" value={ia} onInput={(e) => setA((e.target as HTMLInputElement).value)} aria-label="Trace A" />
      <button type="button" class="btn small" title="Swap A and B" onClick={() => a && b && navigate(`/compare/${b}/${a}`)}>
        ⇄
      </button>
      <input class="input mono" placeholder="trace B" value={ib} onInput={(e) => setB((e.target as HTMLInputElement).value)} aria-label="Trace B" />
      <button class="btn primary">Compare</button>
    </form>
  );
}

function Comparison({ ma, mb, result }: { ma: TraceModel; mb: TraceModel; result: CompareResult }) {
  const changes = useMemo(() => biggestChanges(result, 5), [result]);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const order = useMemo(() => {
    if (!onlyDiff) return result.order;
    return result.order.filter((id) => {
      const n = result.nodes[id];
      return n.a < 0 || n.b < 0 || Math.abs(n.durationB - n.durationA) > 0.2 * Math.max(n.durationA, 1);
    });
  }, [result, onlyDiff]);
  const delta = mb.durationNs - ma.durationNs;
  // One time scale for both sides, so that bar lengths compare across A and B.
  const scale = Math.max(1, ma.durationNs, mb.durationNs);
  return (
    <>
      <div class="compare-summary">
        <TraceCard label="A" m={ma} />
        <TraceCard label="B" m={mb} />
        <div class="card cmp-card" data-testid="compare-summary">
          <div class="stat-label">B − A</div>
          <div class={`big ${delta > 0 ? 'worse' : delta < 0 ? 'better' : ''}`}>
            {delta > 0 ? '+' : ''}
            {formatDuration(delta)} <span class="muted">({delta >= 0 ? '+' : ''}{formatPercent(delta, ma.durationNs)})</span>
          </div>
          <div>
            {result.matched} matched · <span class="only-a">{result.onlyA} only in A</span> · <span class="only-b">{result.onlyB} only in B</span>
          </div>
        </div>
        {changes.length > 0 && (
          <div class="card cmp-card changes">
            <div class="stat-label">Largest latency changes</div>
            {changes.map((n) => (
              <div class="change">
                <span class="change-name" title={`${n.service}: ${n.name}`}>
                  {n.service}: {n.name}
                </span>
                <Delta a={n.durationA} b={n.durationB} />
              </div>
            ))}
          </div>
        )}
      </div>
      <div class="cmp-toolbar">
        <label class="check">
          <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff((e.target as HTMLInputElement).checked)} /> only structural changes and latency changes over 20%
        </label>
      </div>
      <div class="cmp-table card" data-testid="compare-table">
        <div class="cmp-row cmp-head">
          <div class="cmp-name">span (service: name)</div>
          <div class="cmp-bar">A timeline (0–{formatDuration(scale)})</div>
          <div class="cmp-bar">B timeline (same scale)</div>
          <div class="cmp-num">A</div>
          <div class="cmp-num">B</div>
          <div class="cmp-num">B − A</div>
        </div>
        <VirtualList
          class="cmp-list"
          rowCount={order.length}
          rowHeight={24}
          renderRow={(i) => <CompareRow node={result.nodes[order[i]]} ma={ma} mb={mb} scale={scale} />}
        />
      </div>
    </>
  );
}

function TraceCard({ label, m }: { label: string; m: TraceModel }) {
  const root = mainRoot(m);
  return (
    <div class="card cmp-card" data-testid={`compare-trace-${label}`}>
      <div class="stat-label">Trace {label}</div>
      <Link href={`/trace/${m.traceId}`} class="mono">
        {m.traceId}
      </Link>
      <div>
        {root >= 0 && (
          <>
            <strong>{m.services[m.service[root]].name}</strong>: {m.spanName(root)}
          </>
        )}
      </div>
      <div class="muted">
        {formatDuration(m.durationNs)} · {m.size} spans · {m.errorCount} errors
      </div>
    </div>
  );
}

function Delta({ a, b }: { a: number; b: number }) {
  if (Number.isNaN(a) || Number.isNaN(b)) return <span class="muted">—</span>;
  const d = b - a;
  return (
    <span class={`delta ${d > 0 ? 'worse' : d < 0 ? 'better' : ''}`}>
      {d > 0 ? '+' : ''}
      {formatDuration(d)}
    </span>
  );
}

function CompareRow({ node: n, ma, mb, scale }: { node: CompareNode; ma: TraceModel; mb: TraceModel; scale: number }) {
  const side = n.a < 0 ? 'only-b' : n.b < 0 ? 'only-a' : '';
  const bar = (m: TraceModel, v: number) =>
    v < 0 ? null : (
      <div
        class="cmp-span"
        style={{
          left: `${(m.start[v] / scale) * 100}%`,
          width: `${((m.end[v] - m.start[v]) / scale) * 100}%`,
          background: serviceColor(n.service),
        }}
      />
    );
  return (
    <div class={`cmp-row ${side}`} data-testid="compare-row" data-side={side || 'both'}>
      <div class="cmp-name" style={{ paddingLeft: `${Math.min(n.depth, 30) * 14 + 6}px` }} title={`${n.service}: ${n.name}`}>
        {side === 'only-a' && <span class="pill error">only A</span>}
        {side === 'only-b' && <span class="pill ok">only B</span>}
        <span class="swatch" style={{ background: serviceColor(n.service) }} /> <span class="muted">{n.service}:</span> {n.name}
      </div>
      <div class="cmp-bar">{bar(ma, n.a)}</div>
      <div class="cmp-bar">{bar(mb, n.b)}</div>
      <div class="cmp-num">{n.a >= 0 ? formatDuration(n.durationA) : '—'}</div>
      <div class="cmp-num">{n.b >= 0 ? formatDuration(n.durationB) : '—'}</div>
      <div class="cmp-num">
        <Delta a={n.durationA} b={n.durationB} />
      </div>
    </div>
  );
}

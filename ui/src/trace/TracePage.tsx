// The trace view: header, the analysis' warnings (with the clock-skew switch), the toolbar, the
// minimap, the waterfall and a side panel (span details or trace health). Its state is in the
// URL — /trace/{id}?span=…&panel=health&skew=1&find=… — so every view of a trace can be linked to.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { Backlink } from '../api/types';
import { replaceQuery } from '../app/router';
import { ErrorBox, Loading } from '../common/Status';
import type { ViewportInfo } from '../common/VirtualList';
import { TraceHealth } from '../health/TraceHealth';
import { collapseAll } from '../model/layout';
import { adjustedTimes, originalTimes, serviceShifts } from '../model/skew';
import { spanWarnings } from '../model/spanWarnings';
import { SpanFlag, type TraceModel } from '../model/trace';
import { FindingsBar } from './FindingsBar';
import { Minimap } from './Minimap';
import { SpanDetails } from './SpanDetails';
import { TraceHeader } from './TraceHeader';
import { TraceToolbar } from './TraceToolbar';
import { useCriticalPath } from './useCriticalPath';
import { useFindInTrace } from './useFindInTrace';
import { useTraceSelection } from './useTraceSelection';
import { AUTO_ANALYSIS_MAX_SPANS, useAnalysis, useBacklinks, useTraceLoad } from './useTraceLoad';
import { Waterfall } from './Waterfall';
import type { RowContext } from './WaterfallRow';
import './trace.css';

export function TracePage({ traceId, search }: { traceId: string; search: string }) {
  const load = useTraceLoad(traceId);
  const [analysisRequested, setAnalysisRequested] = useState(false);
  const loaded = load.phase === 'done';
  const analysis = useAnalysis(traceId, loaded && (load.model.size <= AUTO_ANALYSIS_MAX_SPANS || analysisRequested));
  const backlinks = useBacklinks(traceId, loaded ? load.model.startEpochMs : undefined);
  if (load.phase === 'fetch')
    return (
      <Loading>
        Downloading trace {traceId}…
        {load.received ? ` ${(load.received / 1048576).toFixed(0)}${load.total ? ` of ${(load.total / 1048576).toFixed(0)}` : ''} MB` : ''}
      </Loading>
    );
  if (load.phase === 'build') return <Loading>Building the span tree…</Loading>;
  if (load.phase === 'error')
    return (
      <div class="page">
        <ErrorBox title={load.notFound ? 'Trace not found' : 'Could not load the trace'} message={load.error} />
      </div>
    );
  return (
    <TraceView
      model={load.model}
      streaming={load.phase === 'partial' ? load.received : undefined}
      search={search}
      analysis={analysis}
      backlinks={backlinks.status === 'done' ? backlinks.value.data : NO_BACKLINKS}
      onRunAnalysis={() => setAnalysisRequested(true)}
    />
  );
}

interface ViewProps {
  model: TraceModel;
  /** The model is the first spans of a trace still streaming in: the bytes received so far. */
  streaming?: number;
  search: string;
  analysis: ReturnType<typeof useAnalysis>;
  /** Spans of other traces linking into this one. */
  backlinks: Backlink[];
  onRunAnalysis: () => void;
}

function TraceView({ model, streaming, search, analysis, backlinks, onRunAnalysis }: ViewProps) {
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const findings = analysis.status === 'done' ? analysis.value.findings : NO_FINDINGS;
  const skewOn = params.get('skew') === '1';
  const shifts = useMemo(() => serviceShifts(findings), [findings]);
  const view = useMemo(() => (skewOn && shifts.size ? adjustedTimes(model, shifts) : originalTimes(model)), [model, skewOn, shifts]);
  const [showCritical, setShowCritical] = useState(true);
  const critical = useCriticalPath(model, view);
  const warnings = useMemo(() => spanWarnings(model, findings), [model, findings]);
  // While the trace streams in, a span's parent may still be on its way: no orphans yet.
  const localOrphans = useMemo(() => (streaming === undefined ? countFlag(model, SpanFlag.Orphan) : 0), [model, streaming]);
  const tree = useTraceSelection(model, params);
  const { select } = tree;
  const find = useFindInTrace(model, params.get('find') ?? '', (v) => select(v, 'center'));

  // Zoom (a time window), reset when the times change.
  const [zoom, setZoom] = useState<[number, number] | null>(null);
  useEffect(() => setZoom(null), [view]);
  const from = zoom ? zoom[0] : 0;
  const to = zoom ? zoom[1] : view.durationNs;

  const [viewport, setViewport] = useState<ViewportInfo>({ first: 0, last: 0, rowCount: 0 });
  const onViewport = useCallback((v: ViewportInfo) => setViewport(v), []);
  useEffect(() => {
    performance.mark('trace-rendered');
  }, []);

  const ctx: RowContext = useMemo(
    () => ({
      model,
      view,
      from,
      to,
      collapsed: tree.collapsed,
      critical: showCritical ? critical : null,
      matches: find.flags,
      warnings,
      onToggle: tree.toggle,
      onSelect: (v: number) => select(v, 'nearest', 'span'),
    }),
    [model, view, from, to, tree.collapsed, showCritical, critical, find.flags, warnings, tree.toggle, select],
  );

  const showSpanById = (spanId: string) => {
    const v = model.indexById.get(spanId.toLowerCase());
    if (v !== undefined) select(v, 'center', 'span');
  };
  const arrivedFrom = useMemo(() => parseFrom(params.get('from')), [params]);
  const { selected, panel, setPanel } = tree;

  return (
    <div class="trace-page" onKeyDown={(e) => e.key === 'Escape' && setPanel('none')}>
      <TraceHeader model={model} view={view} backlinks={backlinks} />
      {streaming !== undefined && (
        <div class="status loading trace-streaming" role="status" data-testid="trace-streaming">
          <span class="spinner" aria-hidden="true" /> Showing the first {model.size.toLocaleString('en-US')} spans; the rest of the trace is
          still arriving ({(streaming / 1048576).toFixed(0)} MB so far)…
        </div>
      )}
      <FindingsBar
        analysis={analysis.status === 'done' ? analysis.value : undefined}
        analysisError={analysis.status === 'error' ? analysis.error : undefined}
        analysisIdle={analysis.status === 'idle'}
        onRunAnalysis={onRunAnalysis}
        localOrphans={localOrphans}
        skewOn={skewOn}
        onSkew={(on) => replaceQuery({ skew: on ? '1' : undefined })}
        onShowSpan={showSpanById}
      />
      <TraceToolbar
        traceId={model.traceId}
        find={find}
        showCritical={showCritical}
        onCritical={() => setShowCritical((x) => !x)}
        onExpandAll={() => tree.setCollapsed(new Uint8Array(model.size))}
        onCollapseAll={() => tree.setCollapsed(collapseAll(model))}
        zoomed={zoom !== null}
        onResetZoom={() => setZoom(null)}
        healthOpen={panel === 'health'}
        onHealth={() => setPanel(panel === 'health' ? 'none' : 'health')}
      />
      <Minimap
        model={model}
        view={view}
        rows={tree.rows}
        first={viewport.first}
        last={viewport.last}
        from={from}
        to={to}
        onJump={(row) => tree.scrollToSpan(tree.rows[row])}
      />
      <div class="trace-body">
        <Waterfall
          ctx={ctx}
          rows={tree.rows}
          selected={selected}
          scrollRequest={tree.scrollRequest}
          onViewport={onViewport}
          onOpenDetails={(v) => setPanel(panel === 'span' && v === selected ? 'none' : 'span')}
          onMoveTo={(v) => select(v, 'nearest')}
          onZoom={(a, b) => setZoom([a, b])}
        />
        {panel === 'span' && selected >= 0 && (
          <aside class="side-panel" key={`span-${selected}`}>
            <SpanDetails
              model={model}
              view={view}
              span={selected}
              warnings={warnings.get(selected) ?? []}
              backlinks={backlinks}
              arrivedFrom={arrivedFrom && model.spanIds[selected] === params.get('span')?.toLowerCase() ? arrivedFrom : undefined}
              onJump={(v) => select(v, 'center', 'span')}
              onClose={() => setPanel('none')}
            />
          </aside>
        )}
        {panel === 'health' && (
          <aside class="side-panel">
            <HealthPanel analysis={analysis} size={model.size} onRun={onRunAnalysis} onShowSpan={showSpanById} />
          </aside>
        )}
      </div>
    </div>
  );
}

function HealthPanel(props: { analysis: ViewProps['analysis']; size: number; onRun: () => void; onShowSpan: (id: string) => void }) {
  const a = props.analysis;
  if (a.status === 'done') return <TraceHealth analysis={a.value} onShowSpan={props.onShowSpan} />;
  if (a.status === 'error') return <ErrorBox title="Trace analysis failed" message={a.error} />;
  if (a.status === 'loading') return <Loading>Analysing the trace…</Loading>;
  return (
    <div class="status">
      <p>
        This trace has {props.size.toLocaleString()} spans: the analysis (what <code>polytrace verify</code> reports) is not run automatically above{' '}
        {AUTO_ANALYSIS_MAX_SPANS.toLocaleString()} spans, as it can take the server a while.
      </p>
      <button class="btn primary" data-testid="run-analysis" onClick={props.onRun}>
        Run the analysis
      </button>
    </div>
  );
}

/** `from=<trace>:<span>`: the span whose link led here. */
function parseFrom(value: string | null): { traceId: string; spanId: string } | undefined {
  const [traceId, spanId] = (value ?? '').split(':');
  return traceId && spanId ? { traceId, spanId } : undefined;
}

function countFlag(m: TraceModel, flag: SpanFlag): number {
  let n = 0;
  for (let i = 0; i < m.size; i++) if (m.flags[i] & flag) n++;
  return n;
}

const NO_FINDINGS: never[] = [];
const NO_BACKLINKS: Backlink[] = [];

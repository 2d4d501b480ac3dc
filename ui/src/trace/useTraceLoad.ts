// Loading a trace for the trace view: the download of its typed columns (read as they stream
// in; a big trace is shown from its first spans meanwhile), then the model build, each a phase
// the page can show. Performance marks (trace-provisional, trace-fetched, trace-built) let the
// big-trace benchmark see where the time goes.
import { useEffect, useState } from 'preact/hooks';
import { getAnalysis, getBacklinks, getTraceColumns } from '../api/client';
import type { Backlinks, TraceAnalysis } from '../api/types';
import { registerServices } from '../common/colors';
import { useAsync, type AsyncState } from '../common/hooks';
import { hasRootSpan } from '../model/columns';
import { buildTraceModelFromColumns } from '../model/columnsModel';
import type { TraceModel } from '../model/trace';

export type TraceLoad =
  | { phase: 'fetch'; received?: number; total?: number }
  | { phase: 'build' }
  | { phase: 'error'; error: string; notFound: boolean }
  /** The first spans of a big trace, shown while the rest streams in (`received` bytes so far). */
  | { phase: 'partial'; model: TraceModel; received: number }
  | { phase: 'done'; model: TraceModel };

/**
 * A trace still streaming in is shown from its first spans once this many have arrived and its
 * root is among them (else it is looked for again at twice as many, so the snapshots cost at
 * most the trace once more): a million-span trace's rows are then on screen in a tenth of a
 * second instead of after its last byte. Span i of the first spans is span i of the whole
 * trace, so a click made meanwhile holds.
 */
export const PROVISIONAL_SPANS = 20_000;

export function useTraceLoad(traceId: string): TraceLoad {
  const [state, setState] = useState<TraceLoad>({ phase: 'fetch' });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ phase: 'fetch' });
    (async () => {
      performance.mark('trace-fetch-start');
      let last = 0;
      let provisional = false;
      let nextLook = PROVISIONAL_SPANS;
      const columns = await getTraceColumns(traceId, ctl.signal, (received, spans, snapshot) => {
        if (ctl.signal.aborted) return;
        if (!provisional && spans >= nextLook) {
          nextLook = spans * 2;
          const first = snapshot();
          if (first && hasRootSpan(first)) {
            provisional = true;
            const model = buildTraceModelFromColumns(first);
            registerServices(model.services.map((s) => s.name));
            performance.mark('trace-provisional');
            setState({ phase: 'partial', model, received });
            return;
          }
        }
        // Progress only for big downloads, at most every 4 MB.
        if (received - last < 4 << 20) return;
        last = received;
        setState((s) => (s.phase === 'partial' ? { ...s, received } : { phase: 'fetch', received, total: 0 }));
      });
      performance.mark('trace-fetched');
      if (ctl.signal.aborted) return;
      if (!provisional) {
        setState({ phase: 'build' });
        await new Promise((r) => setTimeout(r, 0)); // let "building" show before the work
      }
      const model = buildTraceModelFromColumns(columns);
      registerServices(model.services.map((s) => s.name));
      performance.mark('trace-built');
      if (model.size === 0) throw Object.assign(new Error(`trace ${traceId} has no spans`), { status: 404 });
      if (!ctl.signal.aborted) setState({ phase: 'done', model });
    })().catch((e: unknown) => {
      if (ctl.signal.aborted) return;
      const status = (e as { status?: number }).status;
      setState({ phase: 'error', error: e instanceof Error ? e.message : String(e), notFound: status === 404 });
    });
    return () => ctl.abort();
  }, [traceId]);
  return state;
}

/** Traces bigger than this are analysed only on request: the analysis costs the server seconds. */
export const AUTO_ANALYSIS_MAX_SPANS = 20_000;

export function useBacklinks(traceId: string, startEpochMs: number | undefined): AsyncState<Backlinks> {
  return useAsync(startEpochMs !== undefined ? (signal) => getBacklinks(traceId, startEpochMs, signal) : undefined, [traceId, startEpochMs]);
}

export function useAnalysis(traceId: string, enabled: boolean): AsyncState<TraceAnalysis> {
  return useAsync(enabled ? (signal) => getAnalysis(traceId, signal) : undefined, [traceId, enabled]);
}

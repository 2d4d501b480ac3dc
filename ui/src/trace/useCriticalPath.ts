// The critical path under the shown times. A small trace's is computed with the first render;
// a big trace's just after its first paint, so that opening it is not held up.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { criticalPath, indexBySpan, type CriticalIndex } from '../model/criticalPath';
import type { TimeView } from '../model/skew';
import { mainRoot, type TraceModel } from '../model/trace';

const SYNC_MAX_SPANS = 50_000;

export function useCriticalPath(model: TraceModel, view: TimeView): CriticalIndex | null {
  const compute = useCallback(() => indexBySpan(model.size, criticalPath(model, view.start, view.end, mainRoot(model))), [model, view]);
  const sync = model.size <= SYNC_MAX_SPANS;
  const [critical, setCritical] = useState<CriticalIndex | null>(() => (sync ? compute() : null));
  const computedFor = useRef(sync ? compute : null);
  useEffect(() => {
    if (computedFor.current === compute) return;
    computedFor.current = compute;
    if (sync) {
      setCritical(compute());
      return;
    }
    const t = setTimeout(() => setCritical(compute()), 50);
    return () => clearTimeout(t);
  }, [compute, sync]);
  return critical;
}

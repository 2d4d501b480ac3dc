// The waterfall's tree state: what is collapsed, which span is selected, which side panel is
// open, and where to scroll. The selection is kept locally (arrow keys repeat fast) and mirrored
// into the URL (span=, panel=) a moment later; a URL changed from outside (back/forward, a link)
// moves the selection.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { replaceQuery } from '../app/router';
import type { ScrollRequest } from '../common/VirtualList';
import { carryCollapsed, initialCollapsed, revealSpan, rowOf, visibleRows } from '../model/layout';
import type { TraceModel } from '../model/trace';

export type Panel = 'none' | 'span' | 'health';
type Align = 'nearest' | 'center';

export function useTraceSelection(model: TraceModel, params: URLSearchParams) {
  const urlSpan = params.get('span')?.toLowerCase() ?? '';
  const initial = model.indexById.get(urlSpan) ?? -1;
  // The collapse state and the model it is for: a big trace is first shown from its first
  // frames, then whole (a larger model of the same spans and more), and what the user collapsed
  // or expanded meanwhile is carried over.
  const [tree, setTree] = useState(() => {
    const c = initialCollapsed(model);
    return { model, collapsed: initial >= 0 ? revealSpan(model, c, initial) : c };
  });
  const collapsed = useMemo(
    () => (tree.model === model ? tree.collapsed : carryCollapsed(tree.model, tree.collapsed, model)),
    [tree, model],
  );
  const modelRef = useRef(model);
  modelRef.current = model;
  const setCollapsed = useCallback((update: Uint8Array | ((c: Uint8Array) => Uint8Array)) => {
    setTree((t) => {
      const m = modelRef.current;
      const base = t.model === m ? t.collapsed : carryCollapsed(t.model, t.collapsed, m);
      return { model: m, collapsed: typeof update === 'function' ? update(base) : update };
    });
  }, []);
  const rows = useMemo(() => visibleRows(model, collapsed), [model, collapsed]);
  const [selected, setSelected] = useState(initial);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const [panel, setPanel] = useState<Panel>(() => (params.get('panel') === 'health' ? 'health' : urlSpan ? 'span' : 'none'));
  const token = useRef(1);
  const [scrollTarget, setScrollTarget] = useState<{ span: number; align: Align; token: number } | null>(() =>
    initial >= 0 ? { span: initial, align: 'center', token: 1 } : null,
  );

  const select = useCallback(
    (v: number, align: Align = 'nearest', open?: Panel) => {
      if (v < 0) return;
      setSelected(v);
      setCollapsed((c) => revealSpan(model, c, v));
      setScrollTarget({ span: v, align, token: ++token.current });
      if (open) setPanel(open);
    },
    [model],
  );
  const scrollToSpan = useCallback((v: number) => setScrollTarget({ span: v, align: 'center', token: ++token.current }), []);

  const toggle = useCallback(
    (v: number) =>
      setCollapsed((c) => {
        const n = c.slice();
        n[v] = n[v] ? 0 : 1;
        return n;
      }),
    [],
  );

  useEffect(() => {
    const v = model.indexById.get(urlSpan);
    if (v !== undefined && v !== selectedRef.current) select(v, 'center', 'span');
  }, [urlSpan, model, select]);

  useEffect(() => {
    // A linked span not among a streaming trace's first spans may be in the rest: the link
    // stays in the URL until it is found (or the whole trace lacks it).
    if (selected < 0 && urlSpan && model.indexById.get(urlSpan) === undefined) return;
    const t = setTimeout(() => {
      replaceQuery({ span: selected >= 0 ? model.spanIds[selected] : undefined, panel: panel === 'health' ? 'health' : undefined });
    }, 250);
    return () => clearTimeout(t);
  }, [selected, panel, model, urlSpan]);

  // The row is looked up when the target changes (rows are up to date by then: both change in
  // one render); later changes of the rows do not scroll again.
  const scrollRequest: ScrollRequest | undefined = useMemo(
    () => (scrollTarget ? { row: rowOf(model, rows, scrollTarget.span), align: scrollTarget.align, token: scrollTarget.token } : undefined),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [scrollTarget],
  );

  return { collapsed, setCollapsed, rows, selected, select, panel, setPanel, toggle, scrollRequest, scrollToSpan };
}

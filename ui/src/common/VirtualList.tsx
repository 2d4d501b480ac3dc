// A list of fixed-height rows of which only those in view (plus a few) are in the DOM; see
// model/virtualWindow.ts for the arithmetic, including the scaled scroll range of huge lists.
import type { ComponentChildren, VNode } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { computeWindow, scrollTopForRow, scrollTopToCenter } from '../model/virtualWindow';

export interface ScrollRequest {
  row: number;
  /** 'nearest': scroll as little as needed (keyboard); 'center': centre the row (jumps). */
  align: 'nearest' | 'center';
  /** A new token asks again for the same row. */
  token: number;
}

export interface ViewportInfo {
  first: number;
  last: number;
  rowCount: number;
}

interface Props {
  rowCount: number;
  rowHeight: number;
  renderRow: (index: number) => VNode;
  scrollRequest?: ScrollRequest;
  onViewport?: (v: ViewportInfo) => void;
  class?: string;
  testid?: string;
  children?: ComponentChildren;
  onKeyDown?: (e: KeyboardEvent) => void;
  tabIndex?: number;
  ariaLabel?: string;
}

export function VirtualList(props: Props) {
  const el = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const node = el.current!;
    setViewport(node.clientHeight);
    const ro = new ResizeObserver(() => setViewport(node.clientHeight));
    ro.observe(node);
    return () => ro.disconnect();
  }, []);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const onScroll = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => el.current && setScrollTop(el.current.scrollTop));
  };

  const base = { rowCount: props.rowCount, rowHeight: props.rowHeight, viewportHeight: viewport };
  const req = props.scrollRequest;
  useLayoutEffect(() => {
    if (!req || !el.current || req.row < 0 || req.row >= props.rowCount) return;
    const top = req.align === 'center' ? scrollTopToCenter(base, req.row) : scrollTopForRow({ ...base, scrollTop: el.current.scrollTop }, req.row);
    if (Math.abs(top - el.current.scrollTop) >= 1) {
      el.current.scrollTop = top;
      setScrollTop(el.current.scrollTop);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [req?.token]);

  const w = computeWindow({ ...base, scrollTop });
  const { onViewport } = props;
  useEffect(() => {
    onViewport?.({ first: Math.floor(w.first), last: w.last, rowCount: props.rowCount });
  }, [w.first, w.last, props.rowCount, onViewport]);

  const rows: VNode[] = [];
  for (let i = w.first; i < w.last; i++) {
    const row = props.renderRow(i);
    rows.push(
      <div key={i} class="vl-row" data-index={i} style={{ top: `${w.offsetTop + (i - w.first) * props.rowHeight}px`, height: `${props.rowHeight}px` }}>
        {row}
      </div>,
    );
  }
  return (
    <div
      ref={el}
      class={`vl ${props.class ?? ''}`}
      onScroll={onScroll}
      data-testid={props.testid}
      tabIndex={props.tabIndex}
      onKeyDown={props.onKeyDown}
      role="tree"
      aria-label={props.ariaLabel}
    >
      <div class="vl-content" style={{ height: `${w.contentHeight}px` }}>
        {rows}
      </div>
      {props.children}
    </div>
  );
}

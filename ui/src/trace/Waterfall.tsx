// The waterfall: a time ruler and the virtualised span rows, with keyboard navigation —
// ↑/↓ move, ← collapses (or goes to the parent), → expands (or goes to the first child),
// Enter opens the span's details, Home/End/PageUp/PageDown jump.
import { useRef, useState } from 'preact/hooks';
import { VirtualList, type ScrollRequest, type ViewportInfo } from '../common/VirtualList';
import { rowOf } from '../model/layout';
import { childCount } from '../model/trace';
import { GridLines, TimeAxis } from './TimeAxis';
import { WaterfallRow, type RowContext } from './WaterfallRow';

export const ROW_HEIGHT = 24;

interface Props {
  ctx: RowContext;
  rows: Int32Array;
  selected: number;
  scrollRequest?: ScrollRequest;
  onViewport: (v: ViewportInfo) => void;
  onOpenDetails: (v: number) => void;
  onMoveTo: (v: number) => void;
  onZoom: (from: number, to: number) => void;
}

export function Waterfall(props: Props) {
  const { ctx, rows, selected } = props;
  const m = ctx.model;
  const [nameWidth, setNameWidth] = useState(360);
  const resizing = useRef<{ x: number; w: number } | null>(null);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const row = selected >= 0 ? rowOf(m, rows, selected) : -1;
    const at = (r: number) => rows[Math.max(0, Math.min(rows.length - 1, r))];
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        props.onMoveTo(row < 0 ? at(0) : at(row + 1));
        break;
      case 'ArrowUp':
        props.onMoveTo(row < 0 ? at(0) : at(row - 1));
        break;
      case 'PageDown':
        props.onMoveTo(at(row + 20));
        break;
      case 'PageUp':
        props.onMoveTo(at(row - 20));
        break;
      case 'Home':
        props.onMoveTo(at(0));
        break;
      case 'End':
        props.onMoveTo(at(rows.length - 1));
        break;
      case 'ArrowLeft':
        if (selected < 0) break;
        if (childCount(m, selected) > 0 && !ctx.collapsed[selected]) ctx.onToggle(selected);
        else if (m.parent[selected] >= 0) props.onMoveTo(m.parent[selected]);
        break;
      case 'ArrowRight':
        if (selected < 0) break;
        if (childCount(m, selected) > 0) {
          if (ctx.collapsed[selected]) ctx.onToggle(selected);
          else props.onMoveTo(m.childList[m.childStart[selected]]);
        }
        break;
      case 'Enter':
        if (selected >= 0) props.onOpenDetails(selected);
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  };

  const onResizeDown = (e: PointerEvent) => {
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    resizing.current = { x: e.clientX, w: nameWidth };
  };
  const onResizeMove = (e: PointerEvent) => {
    if (resizing.current) setNameWidth(Math.max(200, Math.min(800, resizing.current.w + e.clientX - resizing.current.x)));
  };

  return (
    <div class="waterfall" style={{ '--name-width': `${nameWidth}px` }}>
      <div class="wf-head">
        <div class="wf-head-name" style={{ width: `${nameWidth}px` }}>
          <span>
            Service &amp; operation <span class="muted">({rows.length.toLocaleString()} of {m.size.toLocaleString()} rows)</span>
          </span>
          <span class="col-resize" onPointerDown={onResizeDown} onPointerMove={onResizeMove} onPointerUp={() => (resizing.current = null)} title="Drag to resize" />
        </div>
        <TimeAxis from={ctx.from} to={ctx.to} onZoom={props.onZoom} />
      </div>
      <div class="wf-body">
        <div class="wf-grid" style={{ left: `${nameWidth}px` }}>
          <GridLines from={ctx.from} to={ctx.to} />
        </div>
        <VirtualList
          class="wf-list"
          testid="waterfall"
          rowCount={rows.length}
          rowHeight={ROW_HEIGHT}
          scrollRequest={props.scrollRequest}
          onViewport={props.onViewport}
          tabIndex={0}
          onKeyDown={onKeyDown}
          ariaLabel="Spans of the trace; arrow keys move, left and right collapse and expand, Enter opens details"
          renderRow={(i) => <WaterfallRow span={rows[i]} selected={rows[i] === selected} ctx={ctx} nameWidth={nameWidth} />}
        />
      </div>
    </div>
  );
}

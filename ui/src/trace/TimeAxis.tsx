// The time ruler above the waterfall: ticks over the shown window, and drag to zoom into a range.
import { useCallback, useRef, useState } from 'preact/hooks';
import { useElementSize } from '../common/hooks';
import { formatDuration, niceTicks } from '../model/format';

export function TimeAxis(props: { from: number; to: number; onZoom: (from: number, to: number) => void }) {
  const { from, to } = props;
  const span = Math.max(1, to - from);
  const ticks = niceTicks(span, 6);
  const el = useRef<HTMLDivElement>(null);
  const [measure, size] = useElementSize<HTMLDivElement>();
  const setRef = useCallback(
    (node: HTMLDivElement | null) => {
      el.current = node;
      measure(node);
    },
    [measure],
  );
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const frac = (clientX: number) => {
    const r = el.current!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - r.left) / r.width));
  };
  const onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    const f = frac(e.clientX);
    setDrag({ a: f, b: f });
  };
  const onMove = (e: PointerEvent) => drag && setDrag({ ...drag, b: frac(e.clientX) });
  const onUp = () => {
    if (drag && Math.abs(drag.b - drag.a) > 0.01) {
      const lo = Math.min(drag.a, drag.b);
      const hi = Math.max(drag.a, drag.b);
      props.onZoom(from + lo * span, from + hi * span);
    }
    setDrag(null);
  };
  return (
    <div
      class="time-axis"
      ref={setRef}
      onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp} title="Drag to zoom into a time range">
      {ticks.map((t, i) => {
        const pct = (t / span) * 100;
        if (pct > 100.01) return null;
        // The last label is right-aligned: drop it when it would run into its neighbour's.
        const gapPx = i > 0 ? ((t - ticks[i - 1]) / span) * size.width : Infinity;
        if (pct > 92 && gapPx < 110) return <span class="tick" style={{ left: `${pct}%` }} />;
        return (
          <span class="tick" style={{ left: `${pct}%` }}>
            <span class={`tick-label${pct > 92 ? ' end' : ''}`}>{from + t === 0 ? '0' : formatDuration(from + t)}</span>
          </span>
        );
      })}
      {drag && <div class="zoom-sel" style={{ left: `${Math.min(drag.a, drag.b) * 100}%`, width: `${Math.abs(drag.b - drag.a) * 100}%` }} />}
    </div>
  );
}

/** Vertical grid lines at the ruler's ticks, behind the rows. */
export function GridLines(props: { from: number; to: number }) {
  const span = Math.max(1, props.to - props.from);
  return (
    <div class="grid-lines" aria-hidden="true">
      {niceTicks(span, 6).map((t) => (t / span <= 1.0001 ? <span style={{ left: `${(t / span) * 100}%` }} /> : null))}
    </div>
  );
}

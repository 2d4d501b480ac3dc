// The whole waterfall in miniature on a canvas: every row as a thin line in its service's
// colour (a million rows are folded into one line per pixel row), the part in view framed, the
// zoomed time range shaded. Click or drag to move there.
import { useEffect, useRef } from 'preact/hooks';
import { serviceColor } from '../common/colors';
import { useElementSize } from '../common/hooks';
import type { TimeView } from '../model/skew';
import type { TraceModel } from '../model/trace';

const HEIGHT = 48;

interface Props {
  model: TraceModel;
  view: TimeView;
  rows: Int32Array;
  first: number;
  last: number;
  from: number;
  to: number;
  onJump: (row: number) => void;
}

export function Minimap(props: Props) {
  const [box, size] = useElementSize<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const dragging = useRef(false);
  const { model: m, view, rows } = props;
  const width = Math.max(100, Math.floor(size.width));

  useEffect(() => {
    const c = canvas.current;
    if (!c || size.width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = width * dpr;
    c.height = HEIGHT * dpr;
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, HEIGHT);
    const total = Math.max(1, view.durationNs);
    const n = rows.length;
    if (n === 0) return;
    const colors = m.services.map((s) => serviceColor(s.name));
    if (n <= HEIGHT * 3) {
      const h = HEIGHT / n;
      for (let r = 0; r < n; r++) {
        const v = rows[r];
        g.fillStyle = colors[m.service[v]];
        const x = (view.start[v] / total) * width;
        g.fillRect(x, r * h, Math.max(1, ((view.end[v] - view.start[v]) / total) * width), Math.max(1, h - (h > 2 ? 1 : 0)));
      }
    } else {
      // One line per pixel row: the envelope of the rows folded into it, in the first row's colour.
      for (let y = 0; y < HEIGHT; y++) {
        const a = Math.floor((y / HEIGHT) * n);
        const b = Math.max(a + 1, Math.floor(((y + 1) / HEIGHT) * n));
        let lo = Infinity;
        let hi = -Infinity;
        for (let r = a; r < b; r++) {
          const v = rows[r];
          if (view.start[v] < lo) lo = view.start[v];
          if (view.end[v] > hi) hi = view.end[v];
        }
        g.fillStyle = colors[m.service[rows[a]]];
        g.fillRect((lo / total) * width, y, Math.max(1, ((hi - lo) / total) * width), 1);
      }
    }
  }, [m, view, rows, width, size.width]);

  const n = Math.max(1, rows.length);
  const total = Math.max(1, props.view.durationNs);
  const zoomed = props.from > 0 || props.to < total;
  const jump = (e: PointerEvent) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
    props.onJump(Math.min(rows.length - 1, Math.floor(f * rows.length)));
  };
  return (
    <div
      class="minimap"
      ref={box}
      data-testid="minimap"
      title="Overview of the whole trace: click or drag to scroll"
      onPointerDown={(e) => {
        dragging.current = true;
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        jump(e);
      }}
      onPointerMove={(e) => dragging.current && jump(e)}
      onPointerUp={() => (dragging.current = false)}
    >
      <canvas ref={canvas} style={{ width: `${width}px`, height: `${HEIGHT}px` }} />
      {zoomed && (
        <>
          <div class="mm-shade" style={{ left: 0, width: `${(props.from / total) * 100}%` }} />
          <div class="mm-shade" style={{ left: `${(props.to / total) * 100}%`, right: 0 }} />
        </>
      )}
      <div class="mm-view" style={{ top: `${(props.first / n) * 100}%`, height: `${Math.max(2, ((props.last - props.first) / n) * 100)}%` }} />
    </div>
  );
}

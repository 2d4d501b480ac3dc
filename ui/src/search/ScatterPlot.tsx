// Duration against start time of the found traces, in plain SVG: one dot per trace, its area by
// span count, red when the trace has errors. Click a dot to open the trace.
import { useElementSize } from '../common/hooks';
import { formatDuration, niceAxis, niceTicks } from '../model/format';
import type { TraceSummary } from '../model/searchSummary';

const HEIGHT = 170;
const PAD = { left: 58, right: 22, top: 14, bottom: 24 };

export function ScatterPlot(props: { traces: TraceSummary[]; hovered?: string; onHover: (id?: string) => void; onOpen: (id: string) => void }) {
  const [ref, size] = useElementSize<HTMLDivElement>();
  const width = Math.max(300, size.width);
  const { traces } = props;
  const t0 = Math.min(...traces.map((t) => t.startMs));
  const t1 = Math.max(...traces.map((t) => t.startMs));
  const span = Math.max(1, t1 - t0);
  const maxDur = Math.max(1, ...traces.map((t) => t.durationNs));
  const yTicks = niceAxis(maxDur, 4);
  const yMax = yTicks[yTicks.length - 1] || maxDur;
  const maxSpans = Math.max(1, ...traces.map((t) => t.spanCount ?? 1));
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const INSET = 12; // dots stay clear of the axis labels
  const x = (ms: number) => PAD.left + INSET + (traces.length === 1 ? (plotW - 2 * INSET) / 2 : ((ms - t0) / span) * (plotW - 2 * INSET));
  const y = (ns: number) => PAD.top + plotH - (ns / yMax) * plotH;
  const xTicks = niceTicks(span, Math.max(2, Math.floor(plotW / 120)));
  const fmtTime = (ms: number) => {
    const d = new Date(ms);
    const hms = d.toLocaleTimeString(undefined, { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
    return span < 10_000 ? `${hms}.${String(d.getMilliseconds()).padStart(3, '0')}` : hms;
  };
  return (
    <div class="scatter card" ref={ref} data-testid="scatter">
      <svg width={width} height={HEIGHT} role="img" aria-label="Trace duration against start time">
        {yTicks.map((v) => (
          <g>
            <line x1={PAD.left} x2={width - PAD.right} y1={y(v)} y2={y(v)} class="grid-line" />
            <text x={PAD.left - 6} y={y(v) + 4} class="axis-label" text-anchor="end">
              {formatDuration(v)}
            </text>
          </g>
        ))}
        {traces.length > 1 &&
          xTicks.map((v) => (
            <text x={x(t0 + v)} y={HEIGHT - 6} class="axis-label" text-anchor="middle">
              {fmtTime(t0 + v)}
            </text>
          ))}
        {traces.length === 1 && (
          <text x={x(t0)} y={HEIGHT - 6} class="axis-label" text-anchor="middle">
            {fmtTime(t0)}
          </text>
        )}
        {traces.map((t) => {
          const r = 3 + 7 * Math.sqrt((t.spanCount ?? 1) / maxSpans);
          const hovered = props.hovered === t.traceID;
          return (
            <circle
              cx={x(t.startMs)}
              cy={y(t.durationNs)}
              r={hovered ? r + 2 : r}
              class={`dot${t.errorCount ? ' error' : ''}${hovered ? ' hovered' : ''}`}
              onMouseEnter={() => props.onHover(t.traceID)}
              onMouseLeave={() => props.onHover(undefined)}
              onClick={() => props.onOpen(t.traceID)}
            >
              <title>
                {`${t.rootService}: ${t.rootName}\n${formatDuration(t.durationNs)}, ${t.spanCount ?? '?'} spans${t.errorCount ? `, ${t.errorCount} errors` : ''}\n${new Date(t.startMs).toLocaleString()}`}
              </title>
            </circle>
          );
        })}
      </svg>
    </div>
  );
}

// One span in the waterfall: tree column (indent, toggle, service, language, name, kind, marks)
// and timeline column (bar in the service's colour, critical-path sections, event ticks, duration).
import { serviceColor } from '../common/colors';
import { LanguageBadge } from '../common/LanguageBadge';
import { formatDuration } from '../model/format';
import type { CriticalIndex } from '../model/criticalPath';
import type { SpanWarning } from '../model/spanWarnings';
import type { TimeView } from '../model/skew';
import { childCount, modelTime, SpanFlag, SpanKind, type TraceModel } from '../model/trace';

export interface RowContext {
  model: TraceModel;
  view: TimeView;
  from: number;
  to: number;
  collapsed: Uint8Array;
  critical: CriticalIndex | null;
  matches: Uint8Array | null;
  warnings: Map<number, SpanWarning[]>;
  onToggle: (v: number) => void;
  onSelect: (v: number) => void;
}

const KIND_TAGS: Record<string, string> = { server: 'server', client: 'client', producer: 'producer', consumer: 'consumer' };
const MAX_INDENT_LEVELS = 30;
const MAX_EVENT_TICKS = 40;

export function WaterfallRow(props: { span: number; selected: boolean; ctx: RowContext; nameWidth: number }) {
  const { span: v, ctx, selected } = props;
  const m = ctx.model;
  const s = m.raw[v];
  const svc = m.services[m.service[v]];
  const color = serviceColor(svc.name);
  const kids = childCount(m, v);
  const isCollapsed = ctx.collapsed[v] === 1;
  const flags = m.flags[v];
  const warnings = ctx.warnings.get(v);
  const depth = m.depth[v];
  const indent = Math.min(depth, MAX_INDENT_LEVELS) * 14;
  const start = ctx.view.start[v];
  const end = ctx.view.end[v];
  const range = Math.max(1, ctx.to - ctx.from);
  const left = ((start - ctx.from) / range) * 100;
  const width = ((end - start) / range) * 100;
  const kind = SpanKind[m.kind[v]];
  const isError = (flags & SpanFlag.Error) !== 0;
  const crit = ctx.critical && ctx.critical.offsets[v + 1] > ctx.critical.offsets[v] ? criticalSegments(ctx.critical, v) : undefined;
  const endPct = left + width;
  const label = endPct < 78 ? 'after' : left > 15 ? 'before' : 'inside';
  const shift = start - m.start[v];
  const classes = ['wf-row', selected && 'selected', isError && 'error', ctx.matches?.[v] && 'match', crit && 'critical'].filter(Boolean).join(' ');
  return (
    <div
      class={classes}
      data-testid="span-row"
      data-span-id={m.spanIds[v]}
      data-depth={depth}
      role="treeitem"
      aria-selected={selected}
      aria-expanded={kids ? !isCollapsed : undefined}
      aria-level={depth + 1}
      onClick={() => ctx.onSelect(v)}
    >
      <div class="wf-name" style={{ width: `${props.nameWidth}px`, paddingLeft: `${indent + 4}px` }}>
        {depth > MAX_INDENT_LEVELS && <span class="depth-mark" title={`depth ${depth}`}>{depth}</span>}
        {kids > 0 ? (
          <button
            class="wf-toggle"
            data-testid="span-toggle"
            aria-label={isCollapsed ? `Expand ${kids} children` : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation();
              ctx.onToggle(v);
            }}
          >
            {isCollapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span class="wf-toggle-space" />
        )}
        <span class="swatch" style={{ background: color }} />
        <LanguageBadge language={svc.language} />
        <span class="wf-service">{svc.name}</span>
        <span class="wf-op" title={s.name}>
          {s.name}
        </span>
        {KIND_TAGS[kind] && <span class={`kind-tag kind-${kind}`}>{KIND_TAGS[kind]}</span>}
        {isCollapsed && <span class="wf-hidden" title={`${m.subtreeSize[v] - 1} spans below`}>+{m.subtreeSize[v] - 1}</span>}
        {isError && (
          <span class="err-mark" title={`error${s.status?.message ? `: ${s.status.message}` : ''}`} data-testid="error-mark">
            !
          </span>
        )}
        {warnings && (
          <span class="warn-mark" title={warnings.map((w) => w.message).join('\n')} data-testid="warn-mark">
            ⚠
          </span>
        )}
      </div>
      <div class="wf-timeline">
        <div class="wf-bar" style={{ left: `${left}%`, width: `${width}%`, background: color }}>
          {crit?.map(([a, b]) => (
            <span class="wf-crit" style={{ left: `${((a - start) / Math.max(1, end - start)) * 100}%`, width: `${((b - a) / Math.max(1, end - start)) * 100}%` }} />
          ))}
        </div>
        {flags & SpanFlag.HasEvents
          ? (s.events ?? []).slice(0, MAX_EVENT_TICKS).map((e) => {
              const t = modelTime(m, e.timeUnixNano) + shift;
              return <span class="wf-event" style={{ left: `${((t - ctx.from) / range) * 100}%` }} title={`${e.name} at +${formatDuration(t - start)}`} />;
            })
          : null}
        <span
          class={`wf-dur ${label}`}
          style={
            label === 'after'
              ? { left: `calc(${Math.max(0, endPct)}% + 4px)` }
              : label === 'before'
                ? { right: `calc(${100 - left}% + 4px)` }
                : { right: `calc(${Math.max(0, 100 - endPct)}% + 4px)` }
          }
        >
          {formatDuration(end - start)}
        </span>
      </div>
    </div>
  );
}

function criticalSegments(c: CriticalIndex, v: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = c.offsets[v]; k < c.offsets[v + 1]; k++) out.push([c.from[k], c.to[k]]);
  return out;
}

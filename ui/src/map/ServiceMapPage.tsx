// The service map for a time range: services (with their SDK language, spans and errors) and the
// calls between them, each edge labelled with call rate, error rate and p95 latency. From
// /api/servicemap; on a server without it, from /api/dependencies (calls only).
import { useMemo, useState } from 'preact/hooks';
import { getDependencies, getServiceMap, getServices, mapLimited, searchJaeger } from '../api/client';
import type { ServiceMap, ServiceMapEdge } from '../api/types';
import { navigate } from '../app/router';
import { registerServices, serviceColor } from '../common/colors';
import { useAsync } from '../common/hooks';
import { LanguageBadge } from '../common/LanguageBadge';
import { Link } from '../common/Link';
import { ErrorBox, Loading } from '../common/Status';
import { formatDuration, formatPercent, plural } from '../model/format';
import { callRatePerMinute, layoutMap, mapFromDependencies } from '../model/serviceMap';
import { describeRange, rangeFromParams, resolveRange } from '../model/timeRange';
import { RangeControl } from '../common/RangeControl';
import './map.css';

const NODE_W = 220;
const NODE_H = 58;
const LAYER_GAP = 230;
const ROW_GAP = 46;
const MARGIN = 30;

async function loadMap(startMs: number, endMs: number, signal: AbortSignal): Promise<ServiceMap> {
  const map = await getServiceMap(startMs, endMs, signal);
  if (map) return map;
  const [deps, services] = await Promise.all([getDependencies(endMs, endMs - startMs, signal), getServices(signal)]);
  const derived = mapFromDependencies(deps, services, startMs, endMs);
  // /api/dependencies has no languages: take each service's from one of its recent traces.
  await mapLimited(derived.nodes, 4, async (node) => {
    const traces = await searchJaeger({ service: node.service, startMicros: startMs * 1000, endMicros: endMs * 1000, limit: 1 }, signal).catch(() => []);
    const proc = traces.flatMap((t) => Object.values(t.processes)).find((p) => p.serviceName === node.service);
    const lang = proc?.tags?.find((t) => t.key === 'telemetry.sdk.language')?.value;
    if (lang) node.language = String(lang);
  });
  return derived;
}

export function ServiceMapPage({ search }: { search: string }) {
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const range = useMemo(() => rangeFromParams(params), [params]);
  const map = useAsync(
    (signal) => {
      const { startMs, endMs } = resolveRange(range, Date.now());
      return loadMap(startMs, endMs, signal);
    },
    [search],
  );
  const [hover, setHover] = useState<string | null>(null);
  return (
    <div class="page map-page">
      <div class="map-controls">
        <h2>Service map</h2>
        <RangeControl path="/map" search={search} range={range} />
        {map.status === 'done' && map.value.derived && (
          <span class="pill warn" title="This server has no /api/servicemap: the map comes from /api/dependencies, which has call counts only">
            calls only (from /api/dependencies): no error rates or latencies
          </span>
        )}
      </div>
      {map.status === 'loading' && <Loading>Loading the service map…</Loading>}
      {map.status === 'error' && <ErrorBox title="Could not load the service map" message={map.error} />}
      {map.status === 'done' && (map.value.nodes.length === 0 ? <div class="status">No services in {describeRange(range)}.</div> : <MapView map={map.value} hover={hover} onHover={setHover} />)}
    </div>
  );
}

function MapView({ map, hover, onHover }: { map: ServiceMap; hover: string | null; onHover: (s: string | null) => void }) {
  const services = map.nodes.map((n) => n.service);
  registerServices(services);
  const layout = useMemo(() => layoutMap(services, map.edges, { nodeWidth: NODE_W, nodeHeight: NODE_H, layerGap: LAYER_GAP, rowGap: ROW_GAP }), [map]);
  const pos = new Map(layout.nodes.map((n) => [n.service, n] as const));
  const width = layout.width + 2 * MARGIN;
  const height = layout.height + 2 * MARGIN;
  const nodeInfo = new Map(map.nodes.map((n) => [n.service, n] as const));
  return (
    <div class="map-wrap card">
      <svg width={width} height={height} class="service-map" data-testid="service-map" role="img" aria-label="Service map">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
          <marker id="arrow-err" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head error" />
          </marker>
        </defs>
        <g transform={`translate(${MARGIN},${MARGIN})`}>
          {map.edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            return <Edge edge={e} a={a} b={b} map={map} dim={!!hover && hover !== e.from && hover !== e.to} part="line" />;
          })}
          {layout.nodes.map((n) => {
            const info = nodeInfo.get(n.service)!;
            const errRate = info.spans ? (info.errors ?? 0) / info.spans : 0;
            return (
              <g
                class={`map-node${hover && hover !== n.service ? ' dim' : ''}`}
                transform={`translate(${n.x},${n.y})`}
                data-testid="map-node"
                data-service={n.service}
                onMouseEnter={() => onHover(n.service)}
                onMouseLeave={() => onHover(null)}
                onClick={() => navigate(`/search?service=${encodeURIComponent(n.service)}`)}
              >
                <title>{`${n.service}\nclick: search its traces`}</title>
                <rect width={NODE_W} height={NODE_H} rx="8" class={`node-box${errRate > 0 ? ' has-errors' : ''}`} />
                <rect width="6" height={NODE_H} rx="3" fill={serviceColor(n.service)} />
                <foreignObject x="12" y="6" width={NODE_W - 18} height={NODE_H - 10}>
                  <div class="node-body">
                    <div class="node-title">
                      <LanguageBadge language={info.language} /> <span>{n.service}</span>
                    </div>
                    <div class="node-stats">
                      {info.spans !== undefined ? plural(info.spans, 'span') : callsSummary(n.service, map.edges)}
                      {info.errors ? <span class="err"> · {plural(info.errors, 'error')} ({formatPercent(info.errors, info.spans ?? 0)})</span> : null}
                    </div>
                  </div>
                </foreignObject>
              </g>
            );
          })}
          {map.edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            return <Edge edge={e} a={a} b={b} map={map} dim={!!hover && hover !== e.from && hover !== e.to} part="label" />;
          })}
        </g>
      </svg>
      <div class="map-legend muted">
        Edges: calls per minute · error rate · p95 latency over {formatDuration((map.endMicros - map.startMicros) * 1000)}. Click a service to search its traces; see{' '}
        <Link href="/health">service health</Link> for what verify reports.
      </div>
    </div>
  );
}

/** An edge's curve (drawn under the nodes) or its label (drawn over them): calls/min, error rate, p95. */
function Edge(props: { edge: ServiceMapEdge; a: { x: number; y: number }; b: { x: number; y: number }; map: ServiceMap; dim: boolean; part: 'line' | 'label' }) {
  const { edge: e, a, b, map } = props;
  const forward = b.x > a.x;
  const x1 = forward ? a.x + NODE_W : a.x + NODE_W / 2;
  const y1 = forward ? a.y + NODE_H / 2 : a.y + NODE_H;
  const x2 = forward ? b.x : b.x + NODE_W / 2;
  const y2 = forward ? b.y + NODE_H / 2 : b.y + NODE_H;
  const [cx1, cy1, cx2, cy2] = forward ? [x1 + 80, y1, x2 - 80, y2] : [x1, y1 + 60, x2, y2 + 60];
  const rate = callRatePerMinute(e.calls, map.startMicros, map.endMicros);
  const errRate = e.errors !== undefined && e.calls ? e.errors / e.calls : undefined;
  const bad = (errRate ?? 0) > 0;
  const cls = `map-edge${props.dim ? ' dim' : ''}${bad ? ' error' : ''}${e.kind === 'messaging' ? ' messaging' : ''}`;
  if (props.part === 'line') {
    return (
      <g class={cls} data-testid="map-edge" data-from={e.from} data-to={e.to}>
        <title>{`${e.from} → ${e.to}${e.kind ? ` (${e.kind})` : ''}\n${e.calls} calls${e.errors !== undefined ? `, ${e.errors} errors` : ''}${e.p50Micros !== undefined ? `\np50 ${formatDuration(e.p50Micros * 1000)}` : ''}${e.p95Micros !== undefined ? `, p95 ${formatDuration(e.p95Micros * 1000)}` : ''}`}</title>
        <path d={`M ${x1} ${y1} C ${cx1} ${cy1}, ${cx2} ${cy2}, ${x2} ${y2}`} class="edge-line" marker-end={bad ? 'url(#arrow-err)' : 'url(#arrow)'} />
      </g>
    );
  }
  // Half-way along the curve, on two short lines so that it fits between the columns.
  const t = 0.5;
  const bez = (p0: number, p1: number, p2: number, p3: number) => (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3;
  const mx = bez(x1, cx1, cx2, x2);
  const my = bez(y1, cy1, cy2, y2);
  const line1 = [`${rate >= 10 ? Math.round(rate) : rate.toFixed(2)}/min`, errRate !== undefined ? `${formatPercent(e.errors!, e.calls)} err` : undefined].filter(Boolean).join(' · ');
  const line2 = e.p95Micros !== undefined ? `p95 ${formatDuration(e.p95Micros * 1000)}` : '';
  const w = Math.max(line1.length, line2.length) * 6.3 + 14;
  const h = line2 ? 32 : 18;
  return (
    <g class={cls} transform={`translate(${mx},${my})`} data-testid="map-edge-label">
      <rect x={-w / 2} y={-h / 2} width={w} height={h} rx="8" class="edge-label-bg" />
      <text text-anchor="middle" y={line2 ? -3 : 4} class="edge-label">
        {line1}
      </text>
      {line2 && (
        <text text-anchor="middle" y="11" class="edge-label">
          {line2}
        </text>
      )}
    </g>
  );
}

function callsSummary(service: string, edges: ServiceMapEdge[]): string {
  const sum = (list: ServiceMapEdge[]) => list.reduce((a, e) => a + e.calls, 0);
  const inbound = sum(edges.filter((e) => e.to === service));
  const outbound = sum(edges.filter((e) => e.from === service));
  return `${inbound.toLocaleString()} calls in · ${outbound.toLocaleString()} out`;
}

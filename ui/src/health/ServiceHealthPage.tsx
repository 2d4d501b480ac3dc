// Health of a service: its recent traces (up to 20, found by search) each analysed as
// `polytrace verify` would, and the findings that involve the service counted per kind —
// broken propagation, invalid hops, orphans, missing service.name, clock skew — with the SDK and
// semantic-conventions versions every service was seen with. /health?service=…&range=1h.
import { useMemo } from 'preact/hooks';
import { getAnalysis, getServices, mapLimited, searchTempo } from '../api/client';
import { navigate } from '../app/router';
import { useAsync } from '../common/hooks';
import { Link } from '../common/Link';
import { ServiceTag } from '../common/ServiceTag';
import { ErrorBox, Loading } from '../common/Status';
import { formatDuration } from '../model/format';
import { aggregateServiceHealth, FINDING_TITLES, semconvVersion, type ServiceHealth } from '../model/health';
import { rangeFromParams, resolveRange } from '../model/timeRange';
import { RangeControl } from '../common/RangeControl';
import { str } from '../model/traceql';
import './health.css';

const MAX_TRACES = 20;

export function ServiceHealthPage({ search }: { search: string }) {
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const service = params.get('service') ?? '';
  const range = useMemo(() => rangeFromParams(params), [params]);
  const services = useAsync((s) => getServices(s), []);
  const health = useAsync(
    service
      ? async (signal) => {
          const { startMs, endMs } = resolveRange(range, Date.now());
          const found = await searchTempo({ q: `{ resource.service.name = ${str(service)} }`, startMs, endMs, limit: MAX_TRACES }, signal);
          const analyses = await mapLimited(found, 4, (t) => getAnalysis(t.traceID, signal).catch(() => null));
          return aggregateServiceHealth(service, analyses.filter((a) => a !== null));
        }
      : undefined,
    [search],
  );
  const go = (patch: { service: string }) => {
    const p = new URLSearchParams(search);
    p.set('service', patch.service);
    navigate(`/health?${p}`);
  };
  return (
    <div class="page health-page">
      <div class="health-controls">
        <h2>Service health</h2>
        <label>
          Service
          <select class="select" data-testid="health-service" value={service} onChange={(e) => go({ service: (e.target as HTMLSelectElement).value })}>
            <option value="">choose a service…</option>
            {services.status === 'done' && services.value.map((s) => <option value={s}>{s}</option>)}
          </select>
        </label>
        <RangeControl path="/health" search={search} range={range} />
      </div>
      {!service && <p class="muted">Choose a service: its most recent {MAX_TRACES} traces are analysed the way <code>polytrace verify</code> checks them.</p>}
      {health.status === 'loading' && <Loading>Analysing recent traces of {service}…</Loading>}
      {health.status === 'error' && <ErrorBox title="Could not analyse" message={health.error} />}
      {health.status === 'done' && <HealthReport h={health.value} />}
    </div>
  );
}

function HealthReport({ h }: { h: ServiceHealth }) {
  if (h.traces === 0) return <div class="status">No traces of {h.service} in this time range.</div>;
  const skew = h.skewOffsetsNs;
  return (
    <div data-testid="service-health">
      <div class="health-summary">
        <div class="card">
          <div class="stat-label">traces analysed</div>
          <div class="big">{h.traces}</div>
        </div>
        <div class="card">
          <div class="stat-label">with problems involving {h.service}</div>
          <div class={`big ${h.tracesWithProblems ? 'worse' : 'better'}`}>{h.tracesWithProblems}</div>
        </div>
        {skew.length > 0 && (
          <div class="card">
            <div class="stat-label">clock skew vs peers</div>
            <div class="big">
              {formatDuration(Math.min(...skew))} … {formatDuration(Math.max(...skew))}
            </div>
          </div>
        )}
      </div>
      <div class="card health-section">
        <h3>Checks</h3>
        <ul class="checks">
          {Object.keys(FINDING_TITLES).map((kind) => {
            const n = h.findingsByKind.get(kind)?.length ?? 0;
            return (
              <li>
                <span class={`pill ${n ? 'error' : 'ok'}`}>{n ? `${n}×` : 'none'}</span> {FINDING_TITLES[kind]}
              </li>
            );
          })}
          <li>
            <span class={`pill ${h.brokenHops.length ? 'error' : 'ok'}`}>{h.brokenHops.length ? `${h.brokenHops.length}×` : 'none'}</span> Invalid hops to or from {h.service}
          </li>
        </ul>
      </div>
      {h.findingsByKind.size > 0 && (
        <div class="card health-section">
          <h3>Findings</h3>
          <ul class="findings">
            {[...h.findingsByKind.entries()].flatMap(([kind, list]) =>
              list.slice(0, 10).map(({ traceID, finding }) => (
                <li>
                  <span class="pill warn">{FINDING_TITLES[kind] ?? kind}</span> <Link href={`/trace/${traceID}?panel=health`}>trace {traceID.slice(0, 12)}…</Link>
                  <div class="finding-message">{finding.message}</div>
                </li>
              )),
            )}
          </ul>
        </div>
      )}
      <div class="card health-section">
        <h3>SDKs and semantic conventions seen</h3>
        <table class="grid">
          <thead>
            <tr>
              <th>service</th>
              <th>language</th>
              <th>SDK</th>
              <th>semconv</th>
            </tr>
          </thead>
          <tbody>
            {h.versions.map((v) => (
              <tr>
                <td>
                  <ServiceTag name={v.name} language={v.languages[0]} /> {v.missingName && <span class="pill error">no service.name</span>}
                </td>
                <td>{v.languages.join(', ') || '—'}</td>
                <td>{v.sdks.join(', ') || '—'}</td>
                <td>{v.schemaURLs.map(semconvVersion).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

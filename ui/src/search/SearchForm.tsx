// The search form. Its state is the URL's: submitting navigates to /search?…, and the page runs
// the search the URL describes (so back/forward and shared links replay it).
import { useEffect, useState } from 'preact/hooks';
import { getOperations, getServices } from '../api/client';
import { navigate } from '../app/router';
import { useAsync } from '../common/hooks';
import { TimeRangeField } from '../common/TimeRangeField';
import { extractTraceId } from '../model/traceId';
import { FilterSyntaxError, formatAttributeFilters, parseAttributeFilters, parseDuration } from '../model/traceql';
import { requestToParams, traceqlOf, type SearchRequest } from './runSearch';

export function SearchForm({ initial }: { initial: SearchRequest }) {
  const [req, setReq] = useState(initial);
  const [problem, setProblem] = useState('');
  useEffect(() => setReq(initial), [initial]);
  const services = useAsync((s) => getServices(s), []);
  const operations = useAsync(req.service ? (s) => getOperations(req.service, s) : undefined, [req.service]);
  const set = (patch: Partial<SearchRequest>) => setReq((r) => ({ ...r, ...patch }));

  const submit = (e: Event) => {
    e.preventDefault();
    const id = extractTraceId(req.traceql) ?? extractTraceId(req.attrs);
    if (id) {
      navigate(`/trace/${id}`);
      return;
    }
    try {
      const attrs = parseAttributeFilters(req.attrs);
      for (const d of [req.minDuration, req.maxDuration])
        if (d.trim() && Number.isNaN(parseDuration(d))) throw new FilterSyntaxError(`invalid duration "${d}" (use e.g. 250ms, 1.5s, 2m)`);
      setProblem('');
      navigate(`/search?${requestToParams({ ...req, attrs: formatAttributeFilters(attrs) })}`);
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    }
  };

  const translated = (() => {
    try {
      return req.traceql.trim() ? '' : traceqlOf(req);
    } catch {
      return '';
    }
  })();

  return (
    <form class="search-form card" onSubmit={submit} data-testid="search-form">
      <div class="field">
        <label for="sf-service">Service</label>
        <select
          id="sf-service"
          class="select"
          data-testid="search-service"
          value={req.service}
          onChange={(e) => set({ service: (e.target as HTMLSelectElement).value, operation: '' })}
        >
          <option value="">any service</option>
          {services.status === 'done' && services.value.map((s) => <option value={s}>{s}</option>)}
          {req.service && services.status === 'done' && !services.value.includes(req.service) && <option value={req.service}>{req.service}</option>}
        </select>
      </div>
      <div class="field">
        <label for="sf-operation">Operation</label>
        <select id="sf-operation" class="select" value={req.operation} onChange={(e) => set({ operation: (e.target as HTMLSelectElement).value })}>
          <option value="">any operation</option>
          {operations.status === 'done' && operations.value.map((s) => <option value={s}>{s}</option>)}
          {req.operation && operations.status !== 'done' && <option value={req.operation}>{req.operation}</option>}
        </select>
      </div>
      <div class="field">
        <label for="sf-attrs">
          Attributes <span class="muted hint" title="key=value, key=a|b (or), key!=value, key=~regex, key!~regex; space separated; quote values with spaces">?</span>
        </label>
        <input
          id="sf-attrs"
          class="input mono"
          data-testid="search-attrs"
          data-accept-trace-id
          placeholder='http.status_code=500|503 user!=bob db.system=~"post.*"'
          value={req.attrs}
          onInput={(e) => set({ attrs: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="field-row">
        <div class="field">
          <label for="sf-min">Min duration</label>
          <input id="sf-min" class="input" placeholder="100ms" value={req.minDuration} onInput={(e) => set({ minDuration: (e.target as HTMLInputElement).value })} />
        </div>
        <div class="field">
          <label for="sf-max">Max duration</label>
          <input id="sf-max" class="input" placeholder="2s" value={req.maxDuration} onInput={(e) => set({ maxDuration: (e.target as HTMLInputElement).value })} />
        </div>
      </div>
      <TimeRangeField range={req.range} onChange={(range) => set({ range })} />
      <div class="field">
        <label for="sf-limit">Limit</label>
        <input id="sf-limit" class="input" type="number" min={1} max={1000} value={req.limit} onInput={(e) => set({ limit: Number((e.target as HTMLInputElement).value) || 20 })} />
      </div>
      <div class="field">
        <label for="sf-traceql">TraceQL (replaces the filters above)</label>
        <textarea
          id="sf-traceql"
          class="textarea mono"
          rows={3}
          data-testid="search-traceql"
          data-accept-trace-id
          placeholder='{ resource.service.name = "api-gateway" && status = error }  — or paste a trace ID'
          value={req.traceql}
          onInput={(e) => set({ traceql: (e.target as HTMLTextAreaElement).value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
          }}
        />
        {translated && !req.traceql.trim() && (
          <button type="button" class="btn small ghost edit-traceql" onClick={() => set({ traceql: translated })} title="Copy the filters, as TraceQL, into the box">
            Edit filters as TraceQL
          </button>
        )}
      </div>
      {problem && <div class="form-problem" role="alert">{problem}</div>}
      <button class="btn primary" type="submit" data-testid="search-submit">
        Find traces
      </button>
    </form>
  );
}

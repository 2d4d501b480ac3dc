import { useEffect, useMemo, useState } from 'preact/hooks';
import { navigate } from '../app/router';
import { useAsync } from '../common/hooks';
import { extractTraceId } from '../model/traceId';
import { ErrorBox, Loading } from '../common/Status';
import { ResultList } from './ResultList';
import { requestFromParams, runSearch } from './runSearch';
import { ScatterPlot } from './ScatterPlot';
import { SearchForm } from './SearchForm';
import './search.css';

export function SearchPage({ search }: { search: string }) {
  const params = useMemo(() => new URLSearchParams(search), [search]);
  // /search?traceID=… (Jaeger's spelling) or ?q=<a trace ID> open the trace.
  const pastedId = extractTraceId(params.get('traceID') ?? params.get('q') ?? '');
  useEffect(() => {
    if (pastedId) navigate(`/trace/${pastedId}`, { replace: true });
  }, [pastedId]);
  const request = useMemo(() => requestFromParams(params), [params]);
  // The URL is the search: the same URL runs the same search (a relative range from now).
  const result = useAsync(pastedId ? undefined : (signal) => runSearch(request, Date.now(), signal), [search]);
  const [hovered, setHovered] = useState<string>();
  return (
    <div class="search-page">
      <aside class="search-side">
        <SearchForm initial={request} />
      </aside>
      <section class="search-results">
        {result.status === 'loading' && <Loading>Searching…</Loading>}
        {result.status === 'error' && <ErrorBox title="Search failed" message={result.error} />}
        {result.status === 'done' && (
          <>
            <div class="query-used muted" data-testid="query-used">
              {result.value.api === 'jaeger' ? 'Jaeger search: ' : 'TraceQL (Tempo search): '}
              <code>{result.value.query}</code>
              {result.value.notes.map((n) => (
                <div class="note">{n}</div>
              ))}
            </div>
            {result.value.summaries.length === 0 ? (
              <div class="status">No traces found in this time range. Widen the range or loosen the filters.</div>
            ) : (
              <>
                <ScatterPlot traces={result.value.summaries} hovered={hovered} onHover={setHovered} onOpen={(id) => navigate(`/trace/${id}`)} />
                <ResultList traces={result.value.summaries} hovered={hovered} onHover={setHovered} />
              </>
            )}
          </>
        )}
      </section>
    </div>
  );
}

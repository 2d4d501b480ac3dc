// The shell: header (navigation, go-to-trace box, theme), and the view the URL names. A trace ID
// pasted anywhere outside a text field — or into a field marked data-accept-trace-id — opens
// the trace.
import { useEffect, useState } from 'preact/hooks';
import { ComparePage } from '../compare/ComparePage';
import { Link } from '../common/Link';
import { ServiceHealthPage } from '../health/ServiceHealthPage';
import { ServiceMapPage } from '../map/ServiceMapPage';
import { extractTraceId } from '../model/traceId';
import { SearchPage } from '../search/SearchPage';
import { ThemeToggle } from '../theme/ThemeToggle';
import { TracePage } from '../trace/TracePage';
import { matchRoute, navigate, useLocation } from './router';

export function App() {
  const loc = useLocation();
  const route = matchRoute(loc.pathname);
  usePastedTraceIds();
  let view;
  switch (route.view) {
    case 'search':
      view = <SearchPage search={loc.search} />;
      break;
    case 'trace':
      view = <TracePage key={route.id} traceId={route.id} search={loc.search} />;
      break;
    case 'map':
      view = <ServiceMapPage search={loc.search} />;
      break;
    case 'compare':
      view = <ComparePage a={route.a} b={route.b} />;
      break;
    case 'health':
      view = <ServiceHealthPage search={loc.search} />;
      break;
    default:
      view = (
        <div class="page">
          <h2>Not found</h2>
          <p>
            No view at <code>{loc.pathname}</code>. <Link href="/search">Search traces</Link>.
          </p>
        </div>
      );
  }
  return (
    <div class="app">
      <Header active={route.view} />
      <main class="main">{view}</main>
    </div>
  );
}

function Header({ active }: { active: string }) {
  const [id, setId] = useState('');
  const [bad, setBad] = useState(false);
  const go = (e: Event) => {
    e.preventDefault();
    const t = extractTraceId(id);
    if (t) {
      setId('');
      setBad(false);
      navigate(`/trace/${t}`);
    } else setBad(true);
  };
  const nav = (href: string, label: string, view: string) => (
    <Link href={href} class={`nav-link${active === view ? ' active' : ''}`} testid={`nav-${view}`}>
      {label}
    </Link>
  );
  return (
    <header class="header">
      <Link href="/search" class="brand" title="polytrace">
        <span class="brand-mark" aria-hidden="true" />
        polytrace
      </Link>
      <nav class="nav">
        {nav('/search', 'Search', 'search')}
        {nav('/map', 'Service map', 'map')}
        {nav('/health', 'Service health', 'health')}
        {nav('/compare', 'Compare', 'compare')}
      </nav>
      <form class="goto" onSubmit={go}>
        <input
          class={`input mono${bad ? ' invalid' : ''}`}
          data-testid="goto-trace"
          data-accept-trace-id
          placeholder="Trace ID…"
          aria-label="Open a trace by ID"
          value={id}
          onInput={(e) => {
            setId((e.target as HTMLInputElement).value);
            setBad(false);
          }}
        />
      </form>
      <ThemeToggle />
    </header>
  );
}

function usePastedTraceIds() {
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const text = e.clipboardData?.getData('text') ?? '';
      const id = extractTraceId(text);
      if (!id) return;
      const target = e.target as HTMLElement | null;
      const editable = !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (editable && !target.hasAttribute('data-accept-trace-id')) return;
      e.preventDefault();
      navigate(`/trace/${id}`);
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, []);
}

// The trace view's toolbar: find in trace, expand/collapse all, critical path, zoom reset, the
// health panel and "compare with…".
import { useState } from 'preact/hooks';
import { navigate } from '../app/router';
import { extractTraceId } from '../model/traceId';
import type { useFindInTrace } from './useFindInTrace';

interface Props {
  traceId: string;
  find: ReturnType<typeof useFindInTrace>;
  showCritical: boolean;
  onCritical: () => void;
  onExpandAll: () => void;
  onCollapseAll: () => void;
  zoomed: boolean;
  onResetZoom: () => void;
  healthOpen: boolean;
  onHealth: () => void;
}

export function TraceToolbar(props: Props) {
  const { find } = props;
  const [compareWith, setCompareWith] = useState<string | null>(null);
  return (
    <div class="trace-toolbar">
      <div class="find">
        <input
          class="input"
          data-testid="find-in-trace"
          placeholder="Find in trace (name, service, attribute, key=value)…"
          value={find.text}
          onInput={(e) => find.setText((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === 'Enter' && find.step(e.shiftKey ? -1 : 1)}
        />
        <span class="muted find-count" data-testid="find-count">
          {find.text.trim() ? `${find.at >= 0 ? find.at + 1 : 0}/${find.matches.length}` : ''}
        </span>
        <button class="btn small" onClick={() => find.step(-1)} disabled={!find.matches.length} title="Previous match (Shift+Enter)">
          ↑
        </button>
        <button class="btn small" onClick={() => find.step(1)} disabled={!find.matches.length} title="Next match (Enter)">
          ↓
        </button>
      </div>
      <button class="btn small" data-testid="expand-all" onClick={props.onExpandAll}>
        Expand all
      </button>
      <button class="btn small" data-testid="collapse-all" onClick={props.onCollapseAll}>
        Collapse all
      </button>
      <button class={`btn small${props.showCritical ? ' on' : ''}`} onClick={props.onCritical} title="The chain of spans that determined the trace's duration">
        Critical path
      </button>
      {props.zoomed && (
        <button class="btn small" onClick={props.onResetZoom}>
          Reset zoom
        </button>
      )}
      <span class="spacer" />
      <button class={`btn small${props.healthOpen ? ' on' : ''}`} data-testid="health-button" onClick={props.onHealth}>
        Trace health
      </button>
      {compareWith === null ? (
        <button class="btn small" data-testid="compare-button" onClick={() => setCompareWith('')}>
          Compare with…
        </button>
      ) : (
        <form
          class="compare-with"
          onSubmit={(e) => {
            e.preventDefault();
            const other = extractTraceId(compareWith);
            if (other) navigate(`/compare/${props.traceId}/${other}`);
          }}
        >
          <input class="input mono" autoFocus placeholder="other trace ID" value={compareWith} onInput={(e) => setCompareWith((e.target as HTMLInputElement).value)} data-testid="compare-input" />
          <button class="btn small primary">Compare</button>
        </form>
      )}
    </div>
  );
}

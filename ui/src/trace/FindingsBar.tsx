// The analysis' warnings above the waterfall, each with its spans one click away, and the
// reversible "adjust for clock skew" switch next to the skew findings.
import type { Finding, TraceAnalysis } from '../api/types';
import { Link } from '../common/Link';
import { formatDuration } from '../model/format';
import { FINDING_TITLES } from '../model/health';

interface Props {
  analysis?: TraceAnalysis;
  analysisError?: string;
  analysisIdle?: boolean;
  onRunAnalysis?: () => void;
  localOrphans: number;
  skewOn: boolean;
  onSkew: (on: boolean) => void;
  onShowSpan: (spanId: string) => void;
}

export function FindingsBar(props: Props) {
  const findings = props.analysis?.findings ?? [];
  const skew = findings.filter((f) => f.kind === 'clock_skew');
  const others = findings.filter((f) => f.kind !== 'clock_skew');
  if (!findings.length && !props.analysisError && !props.localOrphans && !props.analysisIdle) return null;
  return (
    <div class="findings-bar" data-testid="findings-bar">
      {props.analysisIdle && (
        <div class="finding muted">
          Big trace: the analysis (clock skew, orphans, broken propagation) runs on request.{' '}
          <button class="btn small" onClick={props.onRunAnalysis} data-testid="run-analysis-bar">
            Run the analysis
          </button>
        </div>
      )}
      {props.analysisError && <div class="finding muted">Trace analysis unavailable: {props.analysisError}</div>}
      {skew.length > 0 && (
        <div class="finding skew" data-testid="finding-clock_skew">
          <span class="pill warn">clock skew</span>
          <span class="finding-text">
            {skew.map((f) => (
              <span class="finding-item">
                {f.service}'s clock looks {formatDuration(Math.abs(f.offsetNanos ?? 0))} {(f.offsetNanos ?? 0) >= 0 ? 'ahead of' : 'behind'} {f.peerService}'s
                <SpanLinks f={f} onShowSpan={props.onShowSpan} />
              </span>
            ))}
          </span>
          <label class="check skew-toggle" title="Shift each skewed service's spans by the estimated offset; switch off to see the times as recorded">
            <input type="checkbox" data-testid="skew-toggle" checked={props.skewOn} onChange={(e) => props.onSkew((e.target as HTMLInputElement).checked)} />
            adjust for clock skew
          </label>
        </div>
      )}
      {others.map((f) => (
        <div class={`finding kind-${f.kind}`} data-testid={`finding-${f.kind}`}>
          <span class="pill warn">{FINDING_TITLES[f.kind]?.replace(/ \(.*\)$/, '') ?? f.kind}</span>
          <span class="finding-text">
            {f.message}
            <SpanLinks f={f} onShowSpan={props.onShowSpan} />
          </span>
        </div>
      ))}
      {props.localOrphans > 0 && !findings.some((f) => f.kind === 'orphan') && (
        <div class="finding" data-testid="finding-local-orphan">
          <span class="pill warn">orphans</span> {props.localOrphans} span(s) whose parent is not in this trace are shown as extra roots.
        </div>
      )}
    </div>
  );
}

function SpanLinks({ f, onShowSpan }: { f: Finding; onShowSpan: (id: string) => void }) {
  if (!f.spans?.length) return null;
  return (
    <span class="finding-spans">
      {f.spans.slice(0, 4).map((s) => (
        <a href="#" onClick={(e) => { e.preventDefault(); onShowSpan(s.spanID); }} title={`${s.service}: ${s.name} (${s.kind})`}>
          {s.name}
        </a>
      ))}
      {f.otherTraceID && (
        <Link href={`/trace/${f.otherTraceID}${f.otherSpanID ? `?span=${f.otherSpanID}` : ''}`} title="The trace the context went to">
          other trace {f.otherTraceID.slice(0, 8)}…
        </Link>
      )}
    </span>
  );
}

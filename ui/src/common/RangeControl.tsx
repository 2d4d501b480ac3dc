// The time range of a page whose URL holds it (range=1h, or start=&end= in ms): a relative
// choice applies at once, an absolute range when "Show" is pressed.
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../app/router';
import { rangeToParams, type TimeRange } from '../model/timeRange';
import { TimeRangeField } from './TimeRangeField';

export function RangeControl({ path, search, range }: { path: string; search: string; range: TimeRange }) {
  const [draft, setDraft] = useState(range);
  useEffect(() => setDraft(range), [range]);
  const apply = (r: TimeRange) => {
    const p = new URLSearchParams(search);
    rangeToParams(r, p);
    navigate(`${path}?${p}`);
  };
  return (
    <form
      class="range-control"
      onSubmit={(e) => {
        e.preventDefault();
        apply(draft);
      }}
    >
      <TimeRangeField
        id={`${path.slice(1)}-range`}
        range={draft}
        onChange={(r) => {
          setDraft(r);
          if (r.kind === 'relative') apply(r);
        }}
      />
      {draft.kind === 'absolute' && <button class="btn primary small">Show</button>}
    </form>
  );
}

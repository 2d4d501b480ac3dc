// A time range picker: the usual "last …" choices, a typed relative range ("90m", "last 3
// days"), or an absolute range between two local date-times.
import { useState } from 'preact/hooks';
import { describeRange, fromLocalInput, parseRelative, RELATIVE_CHOICES, toLocalInput, type TimeRange } from '../model/timeRange';

export function TimeRangeField({ range, onChange, id = 'sf-range' }: { range: TimeRange; onChange: (r: TimeRange) => void; id?: string }) {
  const [custom, setCustom] = useState(range.kind === 'relative' && !RELATIVE_CHOICES.includes(range.text) ? range.text : '');
  const selectValue = range.kind === 'absolute' ? 'absolute' : RELATIVE_CHOICES.includes(range.text) ? range.text : 'custom';
  const now = Date.now();
  return (
    <div class="field">
      <label for={id}>Time range</label>
      <select
        id={id}
        class="select"
        value={selectValue}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v === 'absolute') onChange({ kind: 'absolute', startMs: now - 3600e3, endMs: now });
          else if (v === 'custom') onChange(parseRelative(custom || '3h')!);
          else onChange(parseRelative(v)!);
        }}
      >
        {RELATIVE_CHOICES.map((c) => (
          <option value={c}>last {c}</option>
        ))}
        <option value="custom">last … (type it)</option>
        <option value="absolute">absolute range</option>
      </select>
      {selectValue === 'custom' && (
        <input
          class="input"
          placeholder="e.g. 90m, 3h, last 10 days"
          value={custom || (range.kind === 'relative' ? range.text : '')}
          onInput={(e) => {
            const t = (e.target as HTMLInputElement).value;
            setCustom(t);
            const r = parseRelative(t);
            if (r) onChange(r);
          }}
        />
      )}
      {range.kind === 'absolute' && (
        <div class="field-row">
          <input
            class="input"
            type="datetime-local"
            aria-label="From"
            value={toLocalInput(range.startMs)}
            onChange={(e) => {
              const ms = fromLocalInput((e.target as HTMLInputElement).value);
              if (!Number.isNaN(ms)) onChange({ ...range, startMs: ms });
            }}
          />
          <input
            class="input"
            type="datetime-local"
            aria-label="To"
            value={toLocalInput(range.endMs)}
            onChange={(e) => {
              const ms = fromLocalInput((e.target as HTMLInputElement).value);
              if (!Number.isNaN(ms)) onChange({ ...range, endMs: ms });
            }}
          />
        </div>
      )}
      {range.kind === 'absolute' && <span class="muted small">{describeRange(range)}</span>}
    </div>
  );
}

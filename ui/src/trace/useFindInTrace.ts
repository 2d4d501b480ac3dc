// Find in trace: the matches of the text (debounced, mirrored into the URL as find=), a flag per
// span for highlighting, and stepping through them.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { replaceQuery } from '../app/router';
import { findSpans } from '../model/find';
import type { TraceModel } from '../model/trace';

const NONE = new Int32Array(0);

export function useFindInTrace(model: TraceModel, initialText: string, onGoto: (v: number) => void) {
  const [text, setText] = useState(initialText);
  const [matches, setMatches] = useState<Int32Array>(NONE);
  const [at, setAt] = useState(-1);
  useEffect(() => {
    const t = setTimeout(() => {
      setMatches(findSpans(model, text));
      setAt(-1);
      replaceQuery({ find: text.trim() || undefined });
    }, 200);
    return () => clearTimeout(t);
  }, [text, model]);
  const flags = useMemo(() => {
    if (!matches.length) return null;
    const f = new Uint8Array(model.size);
    for (const v of matches) f[v] = 1;
    return f;
  }, [matches, model]);
  const step = (delta: number) => {
    if (!matches.length) return;
    const next = (at + delta + matches.length) % matches.length;
    setAt(next);
    onGoto(matches[next]);
  };
  return { text, setText, matches, at, flags, step };
}

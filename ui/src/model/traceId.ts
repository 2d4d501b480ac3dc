// Recognising a trace ID in pasted text: 16 or 32 hex digits, bare or inside a URL
// (…/trace/ID, ?traceID=ID) — so that a pasted ID opens the trace wherever it lands.

const BARE = /^(?:[0-9a-f]{32}|[0-9a-f]{16})$/i;
const IN_TEXT = /(?:^|[^0-9a-f])([0-9a-f]{32}|[0-9a-f]{16})(?:$|[^0-9a-f])/i;

export function isTraceId(text: string): boolean {
  return BARE.test(text.trim());
}

/** The trace ID in `text` when the text is one or a URL/path naming one; else undefined. */
export function extractTraceId(text: string): string | undefined {
  const t = text.trim();
  if (BARE.test(t)) return t.toLowerCase();
  if (/\s/.test(t) || t.length > 2048) return undefined;
  if (!/(trace|traceid)/i.test(t)) return undefined;
  const m = IN_TEXT.exec(t);
  return m ? m[1].toLowerCase() : undefined;
}

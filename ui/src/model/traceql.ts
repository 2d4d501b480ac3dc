// Search filters → a query. Attribute filters are written logfmt-style, space separated:
//   http.status_code=500            equals
//   http.method=GET|POST            one of (OR)
//   enduser.id=~"al.*"              regex (whole value, as TraceQL)
//   payment.status!=approved        not equal      enduser.id!~"test.*"  regex not matching
//   "key with space"="a value"      quoted keys and values
// Plain key=value filters can go to Jaeger's `tags`; OR, regex and negation need TraceQL (Tempo).

export type AttrOp = '=' | '!=' | '=~' | '!~';

export interface AttrFilter {
  key: string;
  op: AttrOp;
  values: string[];
}

export interface SearchFilters {
  service?: string;
  operation?: string;
  attributes?: AttrFilter[];
  minDuration?: string;
  maxDuration?: string;
}

export class FilterSyntaxError extends Error {}

/** Parses the attribute filter text. Throws FilterSyntaxError naming the offending token. */
export function parseAttributeFilters(text: string): AttrFilter[] {
  const out: AttrFilter[] = [];
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    const tokenStart = i;
    const [key, afterKey] = readPart(s, i, /[=!\s]/);
    i = afterKey;
    const op = (['!~', '=~', '!=', '='] as AttrOp[]).find((o) => s.startsWith(o, i));
    if (!key || !op) {
      const token = s.slice(tokenStart).split(/\s/)[0];
      throw new FilterSyntaxError(`expected key=value, key!=value, key=~regex or key!~regex, found "${token}"`);
    }
    i += op.length;
    const values: string[] = [];
    for (;;) {
      const [value, after] = readPart(s, i, /[|\s]/);
      values.push(value);
      i = after;
      if (op.includes('~') || s[i] !== '|') break; // a regex keeps its own |
      i++;
    }
    if (op.includes('~') && s[i] && !/\s/.test(s[i])) {
      const [rest, after] = readPart(s, i, /\s/);
      values[0] += rest;
      i = after;
    }
    out.push({ key, op, values });
  }
  return out;
}

/** A quoted ("…" with \" and \\) or bare part ending before a character matching `stop`. */
function readPart(s: string, i: number, stop: RegExp): [string, number] {
  if (s[i] === '"') {
    let v = '';
    let k = i + 1;
    for (; k < s.length && s[k] !== '"'; k++) {
      if (s[k] === '\\' && k + 1 < s.length) k++;
      v += s[k];
    }
    if (k >= s.length) throw new FilterSyntaxError(`unterminated quote in ${s.slice(i)}`);
    return [v, k + 1];
  }
  let k = i;
  while (k < s.length && !stop.test(s[k])) k++;
  return [s.slice(i, k), k];
}

export function formatAttributeFilters(filters: AttrFilter[]): string {
  const q = (v: string) => (/^[^\s"|=!~]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return filters.map((f) => `${q(f.key)}${f.op}${f.values.map(q).join('|')}`).join(' ');
}

/** Whether Jaeger's search can answer: a service and only plain key=value filters. */
export function jaegerCanAnswer(f: SearchFilters): boolean {
  return !!f.service && (f.attributes ?? []).every((a) => a.op === '=' && a.values.length === 1);
}

export function jaegerTags(f: SearchFilters): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const a of f.attributes ?? []) tags[a.key] = a.values[0];
  return tags;
}

/** The TraceQL for the filters: one spanset, every condition on the same span (as Jaeger). */
export function buildTraceQL(f: SearchFilters): string {
  const conds: string[] = [];
  if (f.service) conds.push(`resource.service.name = ${str(f.service)}`);
  if (f.operation) conds.push(`name = ${str(f.operation)}`);
  for (const a of f.attributes ?? []) conds.push(attributeCondition(a));
  if (f.minDuration) conds.push(`duration >= ${traceqlDuration(f.minDuration)}`);
  if (f.maxDuration) conds.push(`duration <= ${traceqlDuration(f.maxDuration)}`);
  return conds.length ? `{ ${conds.join(' && ')} }` : '{}';
}

function attributeCondition(a: AttrFilter): string {
  const special = intrinsicCondition(a);
  if (special) return special;
  const name = attributeName(a.key);
  const negated = a.op === '!=' || a.op === '!~';
  const parts = a.values.map((v) => valueCondition(name, a.op, v));
  // key!=a|b means neither a nor b; key=a|b means either.
  const joined = parts.join(negated ? ' && ' : ' || ');
  return parts.length > 1 ? `(${joined})` : joined;
}

/** A number or boolean may be stored typed or as a string: match either form. */
function valueCondition(name: string, op: AttrOp, v: string): string {
  if (op === '=~' || op === '!~') return `${name} ${op} ${str(v)}`;
  const typed = /^-?\d+(\.\d+)?$/.test(v) || v === 'true' || v === 'false';
  if (!typed) return `${name} ${op} ${str(v)}`;
  // A span matches `x != 5` only when x is a number other than 5, `x != "5"` only when x is a
  // string other than "5" (values of another type never compare): either form will do.
  return `(${name} ${op} ${v} || ${name} ${op} ${str(v)})`;
}

/** Jaeger's derived tags (error, otel.status_code, span.kind) map to TraceQL intrinsics. */
function intrinsicCondition(a: AttrFilter): string | undefined {
  if (a.op !== '=' && a.op !== '!=') return undefined;
  const negated = a.op === '!=';
  const vals = a.values.map((v) => v.toLowerCase());
  let conds: string[] | undefined;
  if (a.key === 'error' && vals.every((v) => v === 'true' || v === 'false'))
    conds = vals.map((v) => `status ${(v === 'true') !== negated ? '=' : '!='} error`);
  else if (a.key === 'otel.status_code' && vals.every((v) => /^(ok|error|unset)$/.test(v)))
    conds = vals.map((v) => `status ${a.op} ${v}`);
  else if (a.key === 'span.kind' && vals.every((v) => /^(server|client|producer|consumer|internal|unspecified)$/.test(v)))
    conds = vals.map((v) => `kind ${a.op} ${v}`);
  if (!conds) return undefined;
  const joined = conds.join(negated ? ' && ' : ' || ');
  return conds.length > 1 ? `(${joined})` : joined;
}

/** `span.x` / `resource.x` / `.x` kept; a bare key is unscoped (span first, then resource). */
export function attributeName(key: string): string {
  let scope = '';
  let name = key;
  const m = /^(span|resource)\.(.+)$/.exec(key);
  if (m) {
    scope = m[1];
    name = m[2];
  } else if (key.startsWith('.')) {
    name = key.slice(1);
  }
  return /^[A-Za-z_][A-Za-z0-9_.\-/:]*$/.test(name) ? `${scope}.${name}` : `${scope}.${str(name)}`;
}

export function str(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a Go-style duration (`250ms`, `1.5s`, `1m30s`) into nanoseconds; NaN when invalid. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (!s) return NaN;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return NaN;
    total += Number(m[1]) * UNIT_NS[m[2]];
    i = re.lastIndex;
  }
  return total;
}

/** Nanoseconds in the largest unit that keeps it whole: 1500ms, 2s, 250us. */
export function formatGoDuration(ns: number): string {
  const units: [string, number][] = [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3]];
  for (const [u, f] of units) if (ns >= f && Number.isInteger(Math.round(ns) / f)) return `${Math.round(ns) / f}${u}`;
  return `${Math.round(ns)}ns`;
}

function traceqlDuration(text: string): string {
  const ns = parseDuration(text);
  if (Number.isNaN(ns)) throw new FilterSyntaxError(`invalid duration "${text}" (use e.g. 250ms, 1.5s, 2m)`);
  return formatGoDuration(ns);
}

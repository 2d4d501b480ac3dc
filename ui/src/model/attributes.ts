// OTLP attribute values in the forms the UI shows and matches: a string per value, the
// attribute lists as [key, value] pairs, and a lookup by key.
import type { OtlpAnyValue, OtlpKeyValue } from '../api/types';

export function anyValueToString(v: OtlpAnyValue | undefined): string {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return JSON.stringify((v.arrayValue.values ?? []).map(anyValueToJson));
  if (v.kvlistValue) return JSON.stringify(anyValueToJson(v));
  return '';
}

function anyValueToJson(v: OtlpAnyValue): unknown {
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValueToJson);
  if (v.kvlistValue) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values ?? []) o[kv.key] = kv.value ? anyValueToJson(kv.value) : null;
    return o;
  }
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return anyValueToString(v);
}

export function attributePairs(attrs: OtlpKeyValue[] | undefined): [string, string][] {
  return (attrs ?? []).map((kv) => [kv.key, anyValueToString(kv.value)]);
}

export function attributeValue(attrs: OtlpKeyValue[] | undefined, key: string): string | undefined {
  if (!attrs) return undefined;
  for (const kv of attrs) if (kv.key === key) return anyValueToString(kv.value);
  return undefined;
}

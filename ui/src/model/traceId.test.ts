import { describe, expect, it } from 'vitest';
import { extractTraceId, isTraceId } from './traceId';

describe('trace IDs in pasted text', () => {
  it('accepts 16 or 32 hex digits, bare or in a URL', () => {
    expect(isTraceId(' 903f0f9a49cdad4486987d05752a33b0 ')).toBe(true);
    expect(isTraceId('903f0f9a49cdad44')).toBe(true);
    expect(isTraceId('903f0f9a49cdad4')).toBe(false);
    expect(extractTraceId('http://localhost:16686/trace/903F0F9A49CDAD4486987D05752A33B0?x=1')).toBe('903f0f9a49cdad4486987d05752a33b0');
    expect(extractTraceId('{ name = "x" }')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import {
  attributeName,
  buildTraceQL,
  FilterSyntaxError,
  formatAttributeFilters,
  jaegerCanAnswer,
  jaegerTags,
  parseAttributeFilters,
  parseDuration,
} from './traceql';

describe('parseAttributeFilters', () => {
  it('reads plain, OR, regex and negated filters', () => {
    expect(parseAttributeFilters('http.method=GET|POST  user!=bob name=~"GET /api/.*" x!~a|b')).toEqual([
      { key: 'http.method', op: '=', values: ['GET', 'POST'] },
      { key: 'user', op: '!=', values: ['bob'] },
      { key: 'name', op: '=~', values: ['GET /api/.*'] },
      { key: 'x', op: '!~', values: ['a|b'] },
    ]);
  });

  it('reads quoted keys and values with escapes', () => {
    expect(parseAttributeFilters('"a key"="say \\"hi\\""')).toEqual([{ key: 'a key', op: '=', values: ['say "hi"'] }]);
  });

  it('names what it cannot read', () => {
    expect(() => parseAttributeFilters('oops')).toThrow(FilterSyntaxError);
    expect(() => parseAttributeFilters('k="open')).toThrow(/unterminated/);
  });

  it('writes filters back in the same syntax', () => {
    const text = 'http.method=GET|POST "a b"!="c d" r=~x.*';
    expect(formatAttributeFilters(parseAttributeFilters(text))).toBe(text);
  });
});

describe('buildTraceQL', () => {
  it('puts every condition on one span, as Jaeger does', () => {
    expect(
      buildTraceQL({
        service: 'checkout',
        operation: 'GET /pay',
        attributes: parseAttributeFilters('payment.status=declined'),
        minDuration: '100ms',
        maxDuration: '1.5s',
      }),
    ).toBe('{ resource.service.name = "checkout" && name = "GET /pay" && .payment.status = "declined" && duration >= 100ms && duration <= 1500ms }');
  });

  it('is {} without filters', () => {
    expect(buildTraceQL({})).toBe('{}');
  });

  it('translates OR, regex and negation', () => {
    const q = buildTraceQL({ attributes: parseAttributeFilters('user=alice|bob db.system=~"post.*" status!=ok|fail') });
    expect(q).toBe('{ (.user = "alice" || .user = "bob") && .db.system =~ "post.*" && (.status != "ok" && .status != "fail") }');
  });

  it('matches numbers and booleans in either their typed or string form', () => {
    expect(buildTraceQL({ attributes: parseAttributeFilters('http.status_code=500') })).toBe(
      '{ (.http.status_code = 500 || .http.status_code = "500") }',
    );
    expect(buildTraceQL({ attributes: parseAttributeFilters('cached!=true') })).toBe('{ (.cached != true || .cached != "true") }');
  });

  it('maps Jaeger’s derived tags to intrinsics', () => {
    expect(buildTraceQL({ attributes: parseAttributeFilters('error=true span.kind=server|client') })).toBe(
      '{ status = error && (kind = server || kind = client) }',
    );
    expect(buildTraceQL({ attributes: parseAttributeFilters('error!=true') })).toBe('{ status != error }');
  });

  it('escapes strings and quotes odd attribute names', () => {
    expect(buildTraceQL({ service: 'a"b\\c' })).toBe('{ resource.service.name = "a\\"b\\\\c" }');
    expect(attributeName('resource.deployment.environment')).toBe('resource.deployment.environment');
    expect(attributeName('span.http.route')).toBe('span.http.route');
    expect(attributeName('my key')).toBe('."my key"');
  });

  it('rejects a malformed duration', () => {
    expect(() => buildTraceQL({ minDuration: 'fast' })).toThrow(/invalid duration/);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('250us')).toBe(250e3);
  });
});

describe('Jaeger or Tempo', () => {
  it('lets Jaeger answer a service with plain key=value filters only', () => {
    expect(jaegerCanAnswer({ service: 's', attributes: parseAttributeFilters('a=1 b=x') })).toBe(true);
    expect(jaegerTags({ attributes: parseAttributeFilters('a=1 b=x') })).toEqual({ a: '1', b: 'x' });
    expect(jaegerCanAnswer({ service: 's', attributes: parseAttributeFilters('a=1|2') })).toBe(false);
    expect(jaegerCanAnswer({ service: 's', attributes: parseAttributeFilters('a!=1') })).toBe(false);
    expect(jaegerCanAnswer({ attributes: [] })).toBe(false);
  });
});

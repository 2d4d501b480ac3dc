import { describe, expect, it } from 'vitest';
import { matchRoute } from './router';

describe('matchRoute', () => {
  it('maps every view’s deep link', () => {
    expect(matchRoute('/')).toEqual({ view: 'search' });
    expect(matchRoute('/search')).toEqual({ view: 'search' });
    expect(matchRoute('/trace/ABCDEF0123456789')).toEqual({ view: 'trace', id: 'abcdef0123456789' });
    expect(matchRoute('/map')).toEqual({ view: 'map' });
    expect(matchRoute('/compare/a1/b2')).toEqual({ view: 'compare', a: 'a1', b: 'b2' });
    expect(matchRoute('/health')).toEqual({ view: 'health' });
    expect(matchRoute('/903f0f9a49cdad4486987d05752a33b0')).toEqual({ view: 'trace', id: '903f0f9a49cdad4486987d05752a33b0' });
    expect(matchRoute('/nope/x')).toEqual({ view: 'notfound' });
  });
});

import { isUtf8Query } from './query-encoding.js';

describe('isUtf8Query', () => {
  it('accepts queries without escapes, valid escapes and lone percent signs', () => {
    for (const url of [
      '/products',
      '/products?q=wool',
      '/products/search?q=caf%C3%A9',
      '/products/search?q=%F0%9F%A6%84%20saw',
      '/products/search?q=100%25',
      '/products/search?q=50%',
      '/products/search?q=%E',
      '/products/%FF?q=x',
    ])
      expect(isUtf8Query(url), url).toBe(true);
  });

  it('refuses escapes that decode to invalid UTF-8', () => {
    for (const url of [
      '/products/search?q=%FF%FE',
      '/products/search?q=a%80b',
      '/products/search?q=%C3',
      '/products/search?q=%C3%28',
      '/products/search?q=%E0%A4%A',
      '/products/search?q=%C0%AE',
      '/products/search?q=%ED%A0%80',
      '/products/search?q=%F4%90%80%80',
      '/products/search?a=%C3&b=%A9',
      '/products/search?q=%c3%28',
    ])
      expect(isUtf8Query(url), url).toBe(false);
  });
});

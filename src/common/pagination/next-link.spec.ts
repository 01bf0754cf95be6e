import { nextLinkOf } from './next-link.js';

const cursor = { param: 'cursor', next: 'nextCursor' };

describe('nextLinkOf', () => {
  it('keeps the path and the other parameters, and sets the cursor', () => {
    expect(nextLinkOf('/products?limit=5&sort=price_asc', { nextCursor: 'abc' }, cursor)).toBe(
      '</products?limit=5&sort=price_asc&cursor=abc>; rel="next"',
    );
  });

  it('replaces a cursor the request carried', () => {
    expect(nextLinkOf('/orders?cursor=old&limit=2', { nextCursor: 'new' }, cursor)).toBe(
      '</orders?cursor=new&limit=2>; rel="next"',
    );
  });

  it('works without a query string, and with page numbers', () => {
    expect(nextLinkOf('/products', { nextCursor: 'x' }, cursor)).toBe('</products?cursor=x>; rel="next"');
    expect(nextLinkOf('/products/search?q=mug&page=2', { nextPage: 3 }, { param: 'page', next: 'nextPage' })).toBe(
      '</products/search?q=mug&page=3>; rel="next"',
    );
  });

  it('is undefined on the last page', () => {
    expect(nextLinkOf('/products', { data: [] }, cursor)).toBeUndefined();
    expect(nextLinkOf('/products', { data: [], nextCursor: null }, cursor)).toBeUndefined();
    expect(nextLinkOf('/products', undefined, cursor)).toBeUndefined();
  });

  it('cannot end the reference early', () => {
    expect(nextLinkOf('/a>b', { nextCursor: 'x' }, cursor)).toBe('</a%3Eb?cursor=x>; rel="next"');
  });
});

import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { encodeId } from '../cache-keys.js';
import { httpCacheKey, type HttpKeyOptions } from './http-cache-key.js';

const listQuery = z
  .object({
    limit: z.string().regex(/^\d+$/).transform(Number).default(20),
    minPrice: z.string().regex(/^\d+$/).transform(Number).optional(),
    tags: z
      .string()
      .transform((value) => value.split(','))
      .optional(),
  })
  .strict();

/** What Fastify gives the key function: the raw URL, its parsed query string and the path params. */
function request(url: string, params: Record<string, string> = {}, user?: { id: number }): FastifyRequest {
  const query = Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? ''));
  return { url, query, params, user } as unknown as FastifyRequest;
}

/** The Redis-side id of a request's key (`undefined`: not cacheable). */
const idOf = (url: string, options: HttpKeyOptions, params?: Record<string, string>, user?: { id: number }) => {
  const key = httpCacheKey(request(url, params, user), options);
  return key && encodeId(key.id);
};

describe('httpCacheKey', () => {
  const lists: HttpKeyOptions = { namespace: 'lists', query: listQuery };

  it('keys the parsed query: any order, defaults applied, one entry per meaning', () => {
    const plain = idOf('/items', lists);
    expect(plain).toBeDefined();
    expect(idOf('/items?limit=20', lists), 'the default spelled out').toBe(plain);
    expect(idOf('/items?', lists)).toBe(plain);
    expect(idOf('/items?minPrice=5&limit=7', lists)).toBe(idOf('/items?limit=7&minPrice=5', lists));
    expect(idOf('/items?limit=7', lists)).not.toBe(plain);
    // Arrays stay as parsed: their order may mean something.
    expect(idOf('/items?tags=a,b', lists)).not.toBe(idOf('/items?tags=b,a', lists));
  });

  it('never keys a query the schema rejects, nor a query string on a route without a schema', () => {
    expect(idOf('/items?limit=abc', lists)).toBeUndefined();
    expect(idOf('/items?junk=1', lists), 'strict: unknown params are a 400').toBeUndefined();
    expect(idOf('/items', { namespace: 'x' })).toBeDefined();
    expect(idOf('/items?anything=1', { namespace: 'x' })).toBeUndefined();
  });

  it('keys path params as sent, alone when there is no query (what services write)', () => {
    const detail: HttpKeyOptions = { namespace: 'items', params: ['id'], query: z.object({}).strict() };
    expect(httpCacheKey(request('/items/5', { id: '5' }), detail)).toEqual({ namespace: 'items', id: '5' });
    expect(idOf('/items/5?', detail, { id: '5' })).toBe('5');
    expect(idOf('/items/5', detail, {})).toBeUndefined();
    const withQuery = { ...detail, query: listQuery };
    expect(httpCacheKey(request('/items/5?minPrice=1', { id: '5' }), withQuery)?.id).toEqual([
      '5',
      { limit: 20, minPrice: 1 },
    ]);
  });

  it('runs no schema for a request without a query string (after the first), nor twice for one request', () => {
    const safeParse = vi.fn((input: unknown) => listQuery.safeParse(input));
    const counted: HttpKeyOptions = { namespace: 'lists', query: { safeParse } };
    httpCacheKey(request('/items'), counted);
    httpCacheKey(request('/items'), counted);
    httpCacheKey(request('/items'), counted);
    expect(safeParse).toHaveBeenCalledTimes(1);
    const one = request('/items?limit=3');
    expect(httpCacheKey(one, counted)).toBe(httpCacheKey(one, counted));
    expect(safeParse).toHaveBeenCalledTimes(2);
  });

  it('keys perUser entries by the caller, and none without one', () => {
    const mine: HttpKeyOptions = { namespace: 'mine', query: listQuery, perUser: true };
    const alice = idOf('/me/items', mine, {}, { id: 1 });
    expect(alice).toBeDefined();
    expect(idOf('/me/items', mine, {}, { id: 2 })).not.toBe(alice);
    expect(idOf('/me/items', mine)).toBeUndefined();
    // Not memoized: the fast path may ask before the guard has set the user.
    const later = request('/me/items');
    expect(httpCacheKey(later, mine)).toBeUndefined();
    (later as unknown as { user: { id: number } }).user = { id: 1 };
    expect(encodeId(httpCacheKey(later, mine)!.id)).toBe(alice);
  });
});

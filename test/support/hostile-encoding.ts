import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { INVALID_UTF8, existingId, hex, type Caller, type Method, type Probe } from './hostile-input.js';
import { validCheckout, validProduct } from './hostile-writes.js';

/*
 * Bytes that are not UTF-8, where a lenient decoder would take them as U+FFFD: inside the JSON
 * strings of otherwise valid writes (each must be a 400 that writes nothing) and in the
 * percent-escapes of query strings (a 400 on every route).
 */

/** `body` as JSON bytes with `bad` spliced into the string value of `field` (`"a<bad>b"`). */
export function spliceBytes(body: Record<string, unknown>, field: string, bad: Buffer): Buffer {
  const [before, after] = JSON.stringify({ ...body, [field]: '\u0001' }).split('"\\u0001"');
  return Buffer.concat([Buffer.from(`${before}"a`), bad, Buffer.from(`b"${after}`)]);
}

/** A probe's body and headers for {@link spliceBytes}, gzipped or not. */
function notUtf8(body: Record<string, unknown>, field: string, bad: Buffer, gzip: boolean) {
  const raw = spliceBytes(body, field, bad);
  return {
    body: { raw: gzip ? gzipSync(raw) : raw },
    headers: { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
  };
}

/** Otherwise valid writes with invalid UTF-8 in one string (gzipped or not): a 400, nothing written. */
export const notUtf8Write: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.oneof(
      hex.map((id) => ({
        method: 'POST' as Method,
        url: '/auth/register',
        caller: 'anonymous' as Caller,
        body: { email: `fuzz-${id}@example.com`, password: 'long enough', name: 'x' },
        field: 'name',
      })),
      fc
        .constantFrom(
          { url: '/auth/verify', caller: 'anonymous' as Caller, body: { token: 'x' }, field: 'token' },
          {
            url: '/auth/password-reset/confirm',
            caller: 'anonymous' as Caller,
            body: { token: 'x', newPassword: 'long enough' },
            field: 'newPassword',
          },
          {
            url: '/auth/password',
            caller: 'customer' as Caller,
            body: { currentPassword: 'password', newPassword: 'long enough' },
            field: 'newPassword',
          },
        )
        .map((write) => ({ method: 'POST' as Method, ...write })),
      validProduct.map((body) => ({
        method: 'POST' as Method,
        url: '/products',
        caller: 'admin' as Caller,
        body,
        field: 'name',
      })),
      existingId.map((id) => ({
        method: 'PATCH' as Method,
        url: `/products/${id}`,
        caller: 'admin' as Caller,
        body: {},
        field: 'description',
      })),
      existingId.map((id) => ({
        method: 'POST' as Method,
        url: `/products/${id}/reviews`,
        caller: 'customer' as Caller,
        body: { rating: 5 },
        field: 'comment',
      })),
      hex.map((id) => ({
        method: 'POST' as Method,
        url: '/categories',
        caller: 'admin' as Caller,
        body: { name: `Fuzz ${id}` },
        field: 'name',
      })),
      fc.integer({ min: 1, max: 12 }).map((id) => ({
        method: 'PATCH' as Method,
        url: `/categories/${id}`,
        caller: 'admin' as Caller,
        body: {},
        field: 'name',
      })),
      fc.tuple(validCheckout, hex).map(([body, key]) => ({
        method: 'POST' as Method,
        url: '/checkout',
        caller: 'customer' as Caller,
        body,
        field: 'paymentToken',
        headers: { 'idempotency-key': `fuzz-${key}` },
      })),
    ),
    fc.constantFrom(...INVALID_UTF8),
    fc.boolean(),
  )
  .map(([write, bad, gzip]): Probe => {
    const { body, headers } = notUtf8(write.body, write.field, bad, gzip);
    return {
      method: write.method,
      url: write.url,
      caller: write.caller,
      headers: { ...headers, ...('headers' in write ? write.headers : {}) },
      body,
      expect: [400],
    };
  });

/** Read routes (with their caller) and a query key each takes. */
const QUERY_ROUTES: [string, Caller][] = [
  ['/products?fields=', 'anonymous'],
  ['/products/search?q=', 'anonymous'],
  ['/products/1?fields=', 'customer'],
  ['/products/1/reviews?cursor=', 'anonymous'],
  ['/categories?x=', 'anonymous'],
  ['/categories/1?x=', 'anonymous'],
  ['/orders?cursor=', 'customer'],
  ['/admin/orders?status=', 'admin'],
  ['/admin/queues/api/queues?activeQueue=', 'admin'],
  ['/health/live?x=', 'anonymous'],
  ['/no-such-route?x=', 'anonymous'],
];
const escaped = (bytes: Buffer) => [...bytes].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');

/** Query strings whose escapes decode to invalid UTF-8, among valid text: a 400 on every route. */
export const notUtf8Query: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.constantFrom(...QUERY_ROUTES),
    fc.constantFrom(...INVALID_UTF8),
    fc.constantFrom('', 'abc', '%C3%A9'),
    fc.constantFrom('', 'xyz', '%F0%9F%A6%84'),
  )
  .map(([[url, caller], bad, before, after]) => ({
    method: 'GET',
    url: `${url}${before}${escaped(bad)}${after}`,
    caller,
    expect: [400],
  }));

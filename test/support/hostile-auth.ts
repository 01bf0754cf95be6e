import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { encode, hex, json, type Caller, type Probe } from './hostile-input.js';
import { testConfig } from './test-app.js';

/** Signs a JWT with the test secret (or another), or with `alg: none`. */
export function forgeJwt(payload: object, { alg = 'HS256', secret = testConfig().JWT_SECRET } = {}): string {
  const signed = `${encode({ alg, typ: 'JWT' })}.${encode(payload)}`;
  return `${signed}.${alg === 'none' ? '' : createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

const now = Math.floor(Date.now() / 1000);
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

/** Authorization headers that must never get anyone in. */
export const BAD_AUTHORIZATIONS = [
  'Bearer',
  'Bearer ',
  'Bearer x.y.z',
  'Bearer a b',
  'bearer ..',
  'Token abc',
  'Digest username="admin"',
  `Bearer ${'A'.repeat(10_000)}`,
  `Bearer ${Buffer.from('ü🦄').toString('latin1')}`,
  `Bearer ${forgeJwt({ sub: '1', role: 'admin' }, { alg: 'none' })}`,
  `Bearer ${forgeJwt({ sub: '1', role: 'admin' }, { alg: 'HS512' })}`,
  `Bearer ${forgeJwt({ sub: '1', role: 'admin' }, { secret: 'not-the-secret-but-long-enough-to-look-real' })}`,
  `Bearer ${forgeJwt({ sub: '1', role: 'admin', iat: now - 7_200, exp: now - 3_600 })}`,
  `Bearer ${forgeJwt({ sub: '1', role: 'admin', iat: now, nbf: now + 3_600 })}`,
  basic('admin@example.com:not-the-password'),
  basic('\u0000:x'),
  basic("' OR 1=1 --:x"),
  basic('no-colon'),
  'Basic',
  'Basic !!!',
];

/** A customer's real token with its claims changed (`tampered`) or cut short (`truncated`), or a bad header. */
export const badCaller: fc.Arbitrary<Caller> = fc.constantFrom<Caller>(
  'tampered',
  'truncated',
  ...BAD_AUTHORIZATIONS.map((authorization) => ({ authorization })),
);

/** Valid requests on every private route (those that write included). */
const PRIVATE_ROUTES: (Omit<Probe, 'caller'> & { admin: boolean })[] = [
  { method: 'GET', url: '/me', admin: false },
  { method: 'GET', url: '/orders', admin: false },
  { method: 'GET', url: '/orders/1', admin: false },
  { method: 'POST', url: '/products/1/reviews', body: json({ rating: 5, comment: 'pwned' }), admin: false },
  {
    method: 'POST',
    url: '/checkout',
    body: json({ items: [{ productId: 1, quantity: 1 }], paymentToken: 'tok_visa' }),
    admin: false,
  },
  {
    method: 'POST',
    url: '/auth/password',
    body: json({ currentPassword: 'password', newPassword: 'pwned-password' }),
    admin: false,
  },
  { method: 'PATCH', url: '/admin/users/1', body: json({ role: 'customer' }), admin: true },
  { method: 'GET', url: '/admin/orders', admin: true },
  { method: 'GET', url: '/admin/orders/export', admin: true },
  { method: 'GET', url: '/admin/analytics/dashboard', admin: true },
  {
    method: 'POST',
    url: '/products',
    body: json({ sku: 'FZ-PWNED', name: 'x', priceCents: 1, categoryId: 1 }),
    admin: true,
  },
  { method: 'PATCH', url: '/products/1', body: json({ name: 'pwned' }), admin: true },
  { method: 'DELETE', url: '/products/1', admin: true },
  { method: 'POST', url: '/categories', body: json({ name: 'Pwned' }), admin: true },
  { method: 'PATCH', url: '/categories/1', body: json({ name: 'Pwned' }), admin: true },
  { method: 'GET', url: '/admin/queues', admin: true },
  { method: 'GET', url: '/admin/queues/api/queues', admin: true },
  { method: 'PUT', url: '/admin/queues/api/queues/pause', admin: true },
  { method: 'PUT', url: '/admin/queues/api/queues/charges/clean/failed', admin: true },
];

/** A customer's right credentials, as Basic (which only the queue board takes). */
const BASIC_CUSTOMER = { authorization: basic('user5@example.com:password') };

/**
 * Valid requests with a bad, forged, expired or tampered token (or none) must be a 401 whatever
 * the token claims; a customer on an admin route a 403 (on the queue board a 401, the answer a
 * wrong password gets). Were one let in, it would write.
 */
export const unauthorized: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.constantFrom(...PRIVATE_ROUTES),
    fc.oneof({ weight: 4, arbitrary: badCaller }, fc.constantFrom<Caller>('customer', 'anonymous')),
    hex,
  )
  .filter(([route, caller]) => route.admin || caller !== 'customer')
  .map(([{ admin: _admin, ...route }, caller, key]) => ({
    ...route,
    caller: route.url.startsWith('/admin/queues') && caller === 'customer' ? BASIC_CUSTOMER : caller,
    headers: { 'idempotency-key': `fuzz-${key}` },
    expect: caller === 'customer' && !route.url.startsWith('/admin/queues') ? [403] : [401],
  }));

/** Every bad header once on the queue board (its own auth hook, Basic allowed) and once on Nest's guard. */
export const EVERY_BAD_AUTHORIZATION: Probe[] = BAD_AUTHORIZATIONS.flatMap((authorization) =>
  ['/admin/queues', '/me'].map((url): Probe => ({ method: 'GET', url, caller: { authorization }, expect: [401] })),
);

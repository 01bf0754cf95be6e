import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import {
  MAX_INT,
  RAW_URL_PIECES,
  badId,
  existingId,
  headerSafe,
  hostileJson,
  hex,
  hostileNumber,
  hostileText,
  json,
  missingId,
  percent,
  type Caller,
  type Method,
  type Probe,
} from './hostile-input.js';
import { ADMIN_EMAIL, testConfig } from './test-app.js';

/**
 * Writes the API must refuse (each with the status it must get), bodies that are not JSON or too
 * large, and methods or paths that are no route. Writes are only ever generated in shapes that
 * no correct implementation may accept: the fuzz test checks that none of them changed a row.
 */

const BODY_LIMIT = testConfig().HTTP_BODY_LIMIT_BYTES;

const notAString = fc.oneof(
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, { $gt: '' }, { $ne: null }, ['admin@example.com']),
  fc.array(hostileText, { minLength: 1, maxLength: 2 }),
);
const notANumber = fc.oneof(
  fc.constantFrom(null, true, false, [], {}, { $gt: 0 }, '1', '1e3', '', 'NaN', 'Infinity'),
  hostileText,
  fc.array(hostileNumber, { minLength: 1, maxLength: 2 }),
);
/** Integers outside [min, max], fractions, or not numbers at all. */
const outside = (min: number, max: number) =>
  fc.oneof(
    hostileNumber.filter((n) => !(Number.isInteger(n) && n >= min && n <= max)),
    notANumber,
  );
/** Text Postgres cannot store as given: a NUL, or an unpaired UTF-16 surrogate (fenced by `x`: never paired). */
const unstorable = fc
  .tuple(hostileText, fc.constantFrom('\u0000', 'x\ud800x', 'x\udfffx'), hostileText)
  .map(([a, bad, b]) => `${a.slice(0, 20)}${bad}${b.slice(0, 20)}`);
const tooLong = (max: number) => fc.integer({ min: max + 1, max: max + 3_000 }).map((n) => 'x'.repeat(n));
/** Hostile text the API may legitimately accept in a free-text field. */
const freeText = fc.constantFrom("' OR 1=1 --", '<script>alert(1)</script>', '{"$gt":""}', '🦄 Ω≈ç', '__proto__', 'x');

/** JSON that is not JSON, or JSON that Fastify must refuse (prototype poisoning), or edge cases. */
const BAD_JSON = [
  '{',
  '{"email":',
  '[',
  'nul',
  '{"a":1}}',
  "{'a':1}",
  '{"a":undefined}',
  '{"a":NaN}',
  '\u0000',
  ' ',
  '""',
  '"text"',
  '123',
  'null',
  'true',
  '[]',
  '1e999999',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":"\\ud800"}',
  '\ufeff{}',
  '['.repeat(50_000) + ']'.repeat(50_000),
  '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
];

/** Content types a JSON route must refuse or survive. */
const CONTENT_TYPES = ['application/json', 'APPLICATION/JSON', 'application/json; charset=UTF-8'];
/** Every other media type (and JSON in another charset) is one answer: 415. */
const UNSUPPORTED_TYPES = [
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/xml',
  'application/vnd.api+json',
  'application/octet-stream',
  'application/json, text/plain',
];

/** 10 MB of spaces, gzipped to ~10 KB: must not get past the body limit once inflated. */
const GZIP_BOMB = gzipSync(Buffer.alloc(10 * 1024 * 1024, ' '));

/**
 * A body the API must refuse: a hostile-but-plausible `base`, then one or two breakers — a
 * required field gone, a field set to a value no correct implementation may take (wrong type, out
 * of range, unstorable text), or an unknown key (mass assignment, `__proto__`, operators).
 */
function brokenBody(
  base: fc.Arbitrary<Record<string, unknown>>,
  invalid: Record<string, fc.Arbitrary<unknown>>,
  required: string[],
): fc.Arbitrary<Record<string, unknown>> {
  const extraKey = fc
    .oneof(fc.constantFrom('role', 'isAdmin', 'id', 'userId', '$where', '$gt', '__proto__', 'constructor'), hostileText)
    .filter((key) => !Object.hasOwn(invalid, key));
  const breaker = fc.oneof(
    ...(required.length ? [fc.constantFrom(...required).map((field) => ({ field, remove: true }))] : []),
    ...Object.entries(invalid).map(([field, value]) => value.map((to) => ({ field, to }))),
    fc.tuple(extraKey, hostileJson).map(([field, to]) => ({ field, to })),
  );
  return fc.tuple(base, fc.array(breaker, { minLength: 1, maxLength: 2 })).map(([fields, breakers]) => {
    const body: Record<string, unknown> = { ...fields };
    for (const change of breakers) {
      if ('remove' in change) delete body[change.field];
      // defineProperty: `__proto__` becomes an own key, sent in the JSON as clients would send it.
      else Object.defineProperty(body, change.field, { value: change.to, enumerable: true, configurable: true });
    }
    return body;
  });
}

/** Invalid values of a required text field; blank counts as empty only where the API trims. */
const text = (max: number, { trimmed = true } = {}) => ({
  notAString,
  empty: trimmed ? fc.constantFrom('', '   ') : fc.constant(''),
  tooLong: tooLong(max),
  unstorable,
});
const oneOf = (choices: Record<string, fc.Arbitrary<unknown>>) => fc.oneof(...Object.values(choices));

const registration = brokenBody(
  fc.record({ email: hex.map((id) => `fuzz-${id}@example.com`), password: fc.constant('long enough'), name: freeText }),
  {
    email: fc.oneof(
      notAString,
      fc.constantFrom('not-an-email', 'a@', "admin@example.com' --", 'admin@example.com\u0000', '<a>@b.c', ''),
      hostileText.map((t) => `@${t}`),
    ),
    password: fc.oneof(notAString, fc.constantFrom('', 'short', '7chars!'), tooLong(200)),
    name: oneOf(text(100)),
  },
  ['email', 'password', 'name'],
);
const productFields = {
  sku: fc.oneof(notAString, fc.constantFrom('ab', 'lower-case', '-LEAD', 'X'.repeat(41), 'SKU 1', 'SKU_1', 'ÄBC', '')),
  name: oneOf(text(200)),
  description: fc.oneof(notAString, tooLong(5_000), unstorable),
  priceCents: outside(0, 100_000_000),
  currency: fc.oneof(notAString, fc.constantFrom('usd', 'US', 'USDD', '€€€', '', 'US\u0000')),
  stock: outside(0, 1_000_000),
  status: fc.oneof(
    notAString,
    fc.constantFrom('deleted', 'ACTIVE', ''),
    hostileText.filter((t) => t !== 'active' && t !== 'archived'),
  ),
  categoryId: outside(1, MAX_INT),
};
export const validProduct = fc.record(
  {
    sku: hex.map((id) => `FZ-${id.toUpperCase()}`),
    name: freeText,
    description: freeText,
    priceCents: fc.integer({ min: 0, max: 100_000_000 }),
    currency: fc.constant('USD'),
    stock: fc.integer({ min: 0, max: 1_000_000 }),
    categoryId: fc.constant(1),
  },
  { requiredKeys: ['sku', 'name', 'priceCents', 'categoryId'] },
);
/** Names are fresh (a refused write must not take one); 'tools' is seeded category 1's slug. */
const validCategory = fc.record(
  { name: hex.map((id) => `Fuzz ${id}`), slug: hex.map((id) => `fuzz-${id}`), parentId: fc.constant(1) },
  { requiredKeys: ['name'] },
);
const categoryFields = {
  name: oneOf(text(100)),
  slug: fc.oneof(
    notAString,
    fc.constantFrom('', 'Upper', 'two  spaces', '-lead', 'trail-', 'a--b', 'ü', 'x'.repeat(65)),
  ),
  // null is a valid parentId (the top level).
  parentId: outside(1, MAX_INT).filter((value) => value !== null),
};
const review = fc.record({ rating: fc.integer({ min: 1, max: 5 }), comment: freeText }, { requiredKeys: ['rating'] });
const reviewFields = { rating: outside(1, 5), comment: fc.oneof(notAString, tooLong(2_000), unstorable) };
export const validCheckout = fc.record({
  items: fc.uniqueArray(
    fc.record({ productId: fc.integer({ min: 1, max: 50 }), quantity: fc.integer({ min: 1, max: 3 }) }),
    {
      minLength: 1,
      maxLength: 3,
      selector: (item) => item.productId,
    },
  ),
  paymentToken: fc.constantFrom('tok_visa', 'tok_declined', "' OR 1=1 --", '🦄'),
});
const badItem = fc.oneof(
  fc.record({ productId: outside(1, MAX_INT), quantity: fc.constant(1) }),
  fc.record({ productId: fc.constant(1), quantity: outside(1, 100) }),
  fc.constantFrom({ productId: 1 }, { quantity: 1 }, { productId: 1, quantity: 1, priceCents: 0 }, null, 'x', [1, 1]),
);
const checkoutFields = {
  items: fc.oneof(
    fc.constantFrom(
      null,
      {},
      'x',
      1,
      [],
      [
        { productId: 1, quantity: 1 },
        { productId: 1, quantity: 1 },
      ],
    ),
    fc.constant(Array.from({ length: 51 }, (_, i) => ({ productId: i + 1, quantity: 1 }))),
    fc
      .tuple(
        fc.array(fc.record({ productId: fc.integer({ min: 1000, max: 2000 }), quantity: fc.constant(1) }), {
          maxLength: 2,
        }),
        badItem,
      )
      .map(([good, bad]) => [...good, bad]),
  ),
  paymentToken: oneOf(text(200, { trimmed: false })),
};
const shipment = fc.record({ trackingReference: freeText });
const shipmentFields = { trackingReference: oneOf(text(100)) };
const refundFields = { amountCents: outside(1, MAX_INT) };
const VALID_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
const badKey = fc
  .oneof(
    fc.constantFrom(undefined, '', ' ', 'a b', 'a/b', 'a;b', "' OR 1=1 --", 'é', '🦄'),
    fc.integer({ min: 256, max: 2_000 }).map((n) => 'k'.repeat(n)),
    hostileText,
  )
  .map((key) => (key === undefined ? undefined : headerSafe(key)))
  .filter((key) => key === undefined || !VALID_KEY.test(key.trim()));

const write = (
  method: Method,
  url: string,
  caller: Caller,
  body: unknown,
  expected: number[],
  headers = {},
): Probe => ({
  method,
  url,
  caller,
  headers,
  body: body === undefined ? undefined : json(body),
  expect: expected,
});

/** Account routes: bodies that break their schema, and well-formed ones that must change nothing. */
const token = fc.oneof(hex, freeText, fc.constant('x'.repeat(43)));
const newPassword = fc.oneof(notAString, fc.constantFrom('', 'short', '7chars!'), tooLong(200));
const accountWrites = [
  brokenBody(fc.record({ token }), { token: fc.oneof(notAString, fc.constant(''), tooLong(200)) }, ['token']).map(
    (body) => write('POST', '/auth/verify', 'anonymous', body, [400]),
  ),
  // Unknown tokens: a 400 naming the token, nothing spent.
  token.map((value) => write('POST', '/auth/verify', 'anonymous', { token: value }, [400])),
  token.map((value) =>
    write('POST', '/auth/password-reset/confirm', 'anonymous', { token: value, newPassword: 'long enough' }, [400]),
  ),
  brokenBody(
    fc.record({ token, newPassword: fc.constant('long enough') }),
    { token: fc.oneof(notAString, fc.constant(''), tooLong(200)), newPassword },
    ['token', 'newPassword'],
  ).map((body) => write('POST', '/auth/password-reset/confirm', 'anonymous', body, [400])),
  brokenBody(
    fc.record({ email: fc.constantFrom('user5@example.com', ADMIN_EMAIL) }),
    { email: fc.oneof(notAString, fc.constantFrom('not-an-email', 'a@', "admin@example.com' --", '')) },
    ['email'],
  ).map((body) => write('POST', '/auth/password-reset', 'anonymous', body, [400])),
  brokenBody(
    fc.record({ currentPassword: fc.constant('password'), newPassword: fc.constant('long enough') }),
    { currentPassword: fc.oneof(notAString, fc.constant(''), tooLong(200)), newPassword },
    ['currentPassword', 'newPassword'],
  ).map((body) => write('POST', '/auth/password', 'customer', body, [400])),
  // A wrong current password: 403, the password and token version as they were.
  hostileText
    .filter((guess) => guess !== 'password')
    .map((guess) =>
      write('POST', '/auth/password', 'customer', { currentPassword: guess, newPassword: 'long enough' }, [400, 403]),
    ),
  fc
    .tuple(
      existingId,
      brokenBody(
        fc.record({ role: fc.constant('customer') }),
        { role: fc.oneof(notAString, fc.constantFrom('root', 'ADMIN', '')) },
        ['role'],
      ),
    )
    .map(([id, body]) => write('PATCH', `/admin/users/${id}`, 'admin', body, [400])),
  badId.map((id) => write('PATCH', `/admin/users/${id}`, 'admin', { role: 'customer' }, [400, 404, 414])),
  missingId.map((id) => write('PATCH', `/admin/users/${id}`, 'admin', { role: 'customer' }, [404])),
];

/** Writes in shapes the API must refuse, with the status each must get. */
export const refusedWrite: fc.Arbitrary<Probe> = fc.oneof(
  registration.map((body) => write('POST', '/auth/register', 'anonymous', body, [400])),
  // A sign-up with a taken address is no longer refused: a 202 like any other, and an email to
  // the owner (an outbox row) — test/accounts.e2e-spec.ts covers it.
  ...accountWrites,
  fc
    .oneof(
      fc.record({
        email: fc.constantFrom(ADMIN_EMAIL, 'nobody@example.com'),
        password: hostileText.filter((p) => p !== 'password'),
      }),
      fc.record({ email: fc.oneof(notAString, hostileText), password: fc.oneof(notAString, hostileText) }),
      fc.constantFrom({ email: ADMIN_EMAIL, password: { $gt: '' } }, { email: { $ne: null }, password: 'password' }),
    )
    .map((body) => write('POST', '/auth/login', 'anonymous', body, [400, 401])),
  brokenBody(validProduct, productFields, ['sku', 'name', 'priceCents', 'categoryId']).map((body) =>
    write('POST', '/products', 'admin', body, [400]),
  ),
  validProduct.map((body) => write('POST', '/products', 'admin', { ...body, sku: 'SKU-0000001' }, [409])),
  validProduct.map((body) => write('POST', '/products', 'admin', { ...body, categoryId: MAX_INT }, [422])),
  fc
    .tuple(existingId, brokenBody(fc.constant({}), productFields, []))
    .map(([id, body]) => write('PATCH', `/products/${id}`, 'admin', body, [400])),
  fc.tuple(badId, validProduct).map(([id, body]) => write('PATCH', `/products/${id}`, 'admin', body, [400, 404, 414])),
  fc.tuple(missingId, validProduct).map(([id, body]) => write('PATCH', `/products/${id}`, 'admin', body, [404])),
  fc.constant(write('PATCH', '/products/1', 'admin', { sku: 'SKU-0000002' }, [409])),
  fc.constant(write('PATCH', '/products/1', 'admin', { categoryId: MAX_INT }, [422])),
  fc.oneof(badId, missingId).map((id) => write('DELETE', `/products/${id}`, 'admin', undefined, [400, 404, 414])),
  brokenBody(validCategory, categoryFields, ['name']).map((body) => write('POST', '/categories', 'admin', body, [400])),
  validCategory.map((body) => write('POST', '/categories', 'admin', { ...body, slug: 'tools' }, [409])),
  validCategory.map((body) => write('POST', '/categories', 'admin', { ...body, parentId: MAX_INT }, [422])),
  fc
    .tuple(fc.integer({ min: 1, max: 12 }).map(String), brokenBody(fc.constant({}), categoryFields, []))
    .map(([id, body]) => write('PATCH', `/categories/${id}`, 'admin', body, [400])),
  fc
    .tuple(badId, validCategory)
    .map(([id, body]) => write('PATCH', `/categories/${id}`, 'admin', body, [400, 404, 414])),
  fc.tuple(missingId, validCategory).map(([id, body]) => write('PATCH', `/categories/${id}`, 'admin', body, [404])),
  fc.constant(write('PATCH', '/categories/1', 'admin', { parentId: 1 }, [422])),
  fc.constant(write('PATCH', '/categories/1', 'admin', { slug: 'garden' }, [409])),
  fc.constant(write('PATCH', '/categories/2', 'admin', { parentId: MAX_INT }, [422])),
  fc
    .tuple(existingId, brokenBody(review, reviewFields, ['rating']))
    .map(([id, body]) => write('POST', `/products/${id}/reviews`, 'customer', body, [400])),
  fc
    .tuple(badId, review)
    .map(([id, body]) => write('POST', `/products/${id}/reviews`, 'customer', body, [400, 404, 414])),
  fc.tuple(missingId, review).map(([id, body]) => write('POST', `/products/${id}/reviews`, 'customer', body, [404])),
  fc
    .tuple(brokenBody(validCheckout, checkoutFields, ['items', 'paymentToken']), hex)
    .map(([body, key]) => write('POST', '/checkout', 'customer', body, [400], { 'idempotency-key': `fuzz-${key}` })),
  fc
    .tuple(validCheckout, badKey)
    .map(([body, key]) =>
      write('POST', '/checkout', 'customer', body, [400], key === undefined ? {} : { 'idempotency-key': key }),
    ),
  // The order lifecycle: broken bodies on any order, bad or missing ids (never a valid change).
  fc
    .tuple(existingId, brokenBody(shipment, shipmentFields, ['trackingReference']))
    .map(([id, body]) => write('POST', `/orders/${id}/ship`, 'admin', body, [400])),
  fc
    .tuple(existingId, brokenBody(fc.constant({}), refundFields, []))
    .map(([id, body]) => write('POST', `/orders/${id}/refund`, 'admin', body, [400])),
  fc
    .tuple(fc.oneof(badId, missingId), fc.constantFrom('cancel', 'deliver'))
    .map(([id, action]) =>
      write('POST', `/orders/${id}/${action}`, action === 'cancel' ? 'customer' : 'admin', undefined, [400, 404, 414]),
    ),
  fc.tuple(missingId, shipment).map(([id, body]) => write('POST', `/orders/${id}/ship`, 'admin', body, [404])),
  fc
    .tuple(missingId, fc.record({ amountCents: fc.integer({ min: 1, max: 100_000 }) }, { requiredKeys: [] }))
    .map(([id, body]) => write('POST', `/orders/${id}/refund`, 'admin', body, [404])),
);

const WRITE_ROUTES: { method: Method; url: string; caller: Caller }[] = [
  { method: 'POST', url: '/auth/register', caller: 'anonymous' },
  { method: 'POST', url: '/auth/login', caller: 'anonymous' },
  { method: 'POST', url: '/auth/verify', caller: 'anonymous' },
  { method: 'POST', url: '/auth/password-reset', caller: 'anonymous' },
  { method: 'POST', url: '/auth/password-reset/confirm', caller: 'anonymous' },
  { method: 'POST', url: '/auth/password', caller: 'customer' },
  { method: 'PATCH', url: '/admin/users/2', caller: 'admin' },
  { method: 'POST', url: '/products', caller: 'admin' },
  { method: 'PATCH', url: '/products/1', caller: 'admin' },
  { method: 'POST', url: '/products/1/reviews', caller: 'customer' },
  { method: 'POST', url: '/checkout', caller: 'customer' },
  { method: 'POST', url: '/categories', caller: 'admin' },
  { method: 'PATCH', url: '/categories/1', caller: 'admin' },
  // Not cancel, deliver or refund: no body (or an empty one) is a valid request to them.
  { method: 'POST', url: '/orders/1/ship', caller: 'admin' },
];
/** A JSON object of exactly `bytes` bytes that every write route refuses (an unknown key). */
const padded = (bytes: number) => `{"padding":"${'x'.repeat(bytes - 14)}"}`;

interface BadBody {
  raw: string | Buffer;
  type: string;
  encoding?: string;
  expect: Probe['expect'];
}
const bad = (raw: string | Buffer, type: string, expected: Probe['expect'], encoding?: string): BadBody => ({
  raw,
  type,
  expect: expected,
  encoding,
});

/** Bodies that are not JSON, not the right type, too large, or compressed bombs. */
export const badBody: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.constantFrom(...WRITE_ROUTES),
    fc.oneof(
      fc.constantFrom(...BAD_JSON).map((raw) => bad(raw, 'application/json', 'rejected')),
      fc.constantFrom(...CONTENT_TYPES).map((type) => bad('{"padding":1}', type, 'rejected')),
      fc.constantFrom(...CONTENT_TYPES).map((type) => bad('email=a%40b.c&password[$gt]=', type, 'rejected')),
      fc
        .tuple(
          fc.constantFrom(...UNSUPPORTED_TYPES),
          fc.constantFrom('{"email":"a@b.c"}', 'email=a%40b.c&password[$gt]='),
        )
        .map(([type, raw]) => bad(raw, type, [415])),
      fc.constant(bad('', 'application/json', [400])),
      fc.constant(bad(padded(BODY_LIMIT), 'application/json', [400, 401, 403])),
      fc
        .constantFrom(BODY_LIMIT + 1, 2 * BODY_LIMIT, 5 * BODY_LIMIT)
        .map((bytes) => bad(padded(bytes), 'application/json', [413])),
      fc.constant(bad(GZIP_BOMB, 'application/json', 'rejected', 'gzip')),
      fc.constant(bad('not gzip at all', 'application/json', 'rejected', 'gzip')),
      fc.constant(bad('{}', 'application/json', 'rejected', 'x-unknown')),
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      fc.constantFrom<Caller>('admin', 'customer', 'anonymous'),
    ),
  )
  .map(([route, body, caller]) => ({
    method: route.method,
    url: route.url,
    caller: caller ?? route.caller,
    headers: { 'content-type': body.type, ...(body.encoding ? { 'content-encoding': body.encoding } : {}) },
    body: { raw: body.raw },
    expect: body.expect,
  }));

/** Methods a route does not have, and paths that are no route. */
const ROUTES: Record<string, Method[]> = {
  '/auth/register': ['POST'],
  '/auth/login': ['POST'],
  '/auth/verify': ['POST'],
  '/auth/password-reset': ['POST'],
  '/auth/password-reset/confirm': ['POST'],
  '/auth/password': ['POST'],
  '/admin/users/2': ['PATCH'],
  '/me': ['GET'],
  '/products': ['GET', 'POST'],
  '/products/search': ['GET'],
  '/products/1': ['GET', 'PATCH', 'DELETE'],
  '/products/1/reviews': ['GET', 'POST'],
  '/categories': ['GET', 'POST'],
  '/categories/1': ['GET', 'PATCH'],
  '/orders': ['GET'],
  '/orders/1': ['GET'],
  '/orders/1/cancel': ['POST'],
  '/orders/1/ship': ['POST'],
  '/orders/1/deliver': ['POST'],
  '/orders/1/refund': ['POST'],
  '/admin/orders': ['GET'],
  '/admin/orders/export': ['GET'],
  '/admin/analytics/dashboard': ['GET'],
  '/checkout': ['POST'],
  '/health/live': ['GET'],
  '/health/ready': ['GET'],
  '/metrics': ['GET'],
  '/docs/json': ['GET'],
};
const METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];
export const nowhere: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.oneof(
      fc
        .tuple(fc.constantFrom(...Object.keys(ROUTES)), fc.constantFrom(...METHODS))
        .filter(([url, method]) => !ROUTES[url].includes(method)),
      fc.tuple(
        fc.oneof(
          fc.constantFrom('/', '/.env', '/admin', '/api', '/products/1/reviews/1', '/products//', '/etc/passwd'),
          hostileText.map((t) => `/x-${percent(t)}`),
          fc.constantFrom(...RAW_URL_PIECES).map((piece) => `/${piece}`),
          fc.integer({ min: 2_000, max: 20_000 }).map((n) => `/${'a'.repeat(n)}`),
        ),
        fc.constantFrom(...METHODS),
      ),
    ),
    fc.constantFrom<Caller>('admin', 'customer', 'anonymous'),
  )
  .map(([[url, method], caller]) => ({
    method,
    url,
    caller,
    body: ['POST', 'PUT', 'PATCH'].includes(method) ? json({}) : undefined,
    expect: 'rejected',
  }));

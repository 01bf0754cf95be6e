import fc from 'fast-check';
import { ORDER_STATUSES } from '../../src/orders/order.dto.js';
import { badCaller } from './hostile-auth.js';
import {
  RAW_URL_PIECES,
  anyId,
  chaosQuery,
  createdAtCursor,
  existingId,
  headerSafe,
  hostileCursor,
  hostileDate,
  hostileText,
  numberText,
  oneBadQuery,
  param,
  percent,
  productCursor,
  type Caller,
  type Method,
  type Probe,
} from './hostile-input.js';

/**
 * Reads, generated two ways: "deep" ones are valid but for one hostile parameter, sent by a caller
 * allowed there, so that they reach the code and the SQL behind validation; "chaos" ones mix
 * hostile everything (parameters, keys, escapes, headers, callers). Any status below 500 is fine.
 */

const SORTS = ['newest', 'price_asc', 'price_desc'];
const limit = fc.integer({ min: 1, max: 100 }).map(String);
const fields = fc.oneof(
  fc.constantFrom('id,name', 'name, priceCents', ',,,', 'id,__proto__', 'rating', 'constructor'),
  hostileText,
);
const cursor = fc.oneof({ weight: 2, arbitrary: createdAtCursor }, hostileCursor);

const read = (
  url: fc.Arbitrary<string>,
  caller: fc.Arbitrary<Caller>,
  headers?: fc.Arbitrary<Record<string, string>>,
) => fc.record({ method: fc.constant<Method>('GET'), url, caller, ...(headers ? { headers } : {}) });

const hostileHeaders = fc
  .record(
    {
      'x-consistency-token': fc.oneof(
        fc.constantFrom('FFFFFFFF/FFFFFFFF', '0/0', '0/', '/', '1/2/3', 'G/1'),
        hostileText,
      ),
      'if-none-match': hostileText,
      'accept-encoding': fc.oneof(fc.constantFrom('br', 'gzip', 'br;q=abc, *;q=-1', 'identity;q=0'), hostileText),
      'x-request-id': hostileText,
      accept: fc.oneof(fc.constantFrom('application/xml', 'text/html', '*/*;q=x'), hostileText),
      'accept-language': hostileText,
      cookie: hostileText,
      'x-forwarded-for': fc.oneof(fc.constantFrom('127.0.0.1, 10.0.0.1', '::1', 'not-an-ip'), hostileText),
    },
    { requiredKeys: [] },
  )
  .map((headers) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, headerSafe(value)])));

const publicDeep = fc.oneof(
  fc
    .constantFrom(...SORTS)
    .chain((sort) =>
      oneBadQuery(
        { limit, categoryId: fc.integer({ min: 1, max: 30 }).map(String), inStock: fc.constantFrom('true', 'false') },
        fc.oneof(
          { weight: 4, arbitrary: param('cursor', productCursor(sort)) },
          param('limit', numberText),
          param('categoryId', anyId),
          param('minPrice', numberText),
          param('maxPrice', numberText),
          param('inStock', hostileText),
          param('fields', fields),
        ),
      ).map((query) => `/products?sort=${sort}&${query.slice(1)}`),
    ),
  oneBadQuery(
    { q: fc.constantFrom('hammer', 'wool saw', 'eco'), limit: fc.integer({ min: 1, max: 50 }).map(String) },
    fc.oneof({ weight: 3, arbitrary: param('q', hostileText) }, param('limit', numberText), param('page', numberText)),
    ['q'],
  ).map((query) => `/products/search${query}`),
  fc.tuple(existingId, fields).map(([id, names]) => `/products/${id}?fields=${percent(names)}`),
  fc
    .tuple(
      existingId,
      oneBadQuery({ limit }, fc.oneof({ weight: 3, arbitrary: param('cursor', cursor) }, param('limit', numberText))),
    )
    .map(([id, query]) => `/products/${id}/reviews${query}`),
  fc.constant('/categories'),
  anyId.map((id) => `/categories/${id}`),
);

const publicChaos = fc.oneof(
  chaosQuery({
    limit: numberText,
    cursor,
    sort: fc.oneof(fc.constantFrom(...SORTS), hostileText),
    categoryId: anyId,
    minPrice: numberText,
    maxPrice: numberText,
    inStock: fc.oneof(fc.constantFrom('true', 'false', '1', 'yes'), hostileText),
    fields,
  }).map((query) => `/products${query}`),
  chaosQuery({ q: hostileText, limit: numberText, page: numberText }).map((query) => `/products/search${query}`),
  fc.tuple(anyId, chaosQuery({ fields })).map(([id, query]) => `/products/${id}${query}`),
  fc.tuple(anyId, chaosQuery({ limit: numberText, cursor })).map(([id, query]) => `/products/${id}/reviews${query}`),
  chaosQuery().map((query) => `/categories${query}`),
  fc.tuple(anyId, chaosQuery()).map(([id, query]) => `/categories/${id}${query}`),
);

/** The catalog, search, product pages, reviews and categories. */
export const publicRead: fc.Arbitrary<Probe> = fc.oneof(
  { weight: 3, arbitrary: read(publicDeep, fc.constantFrom<Caller>('anonymous', 'customer')) },
  {
    weight: 2,
    arbitrary: read(
      publicChaos,
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom<Caller>('anonymous', 'customer') }, badCaller),
      hostileHeaders,
    ),
  },
);

/** Years far from the seeded orders (so an export that passes streams nothing), to JS's limits. */
const farDate = fc.oneof(
  fc.date({ min: new Date(-8.64e15), max: new Date('0999-12-31T00:00:00Z'), noInvalidDate: true }),
  fc.date({ min: new Date('+010000-01-01T00:00:00Z'), max: new Date(8.64e15), noInvalidDate: true }),
);
/** `[from, to]`: far ranges of up to 400 days, half-far ones, and year 0 or BC ones. */
const farRange = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(farDate, fc.integer({ min: -10, max: 400 })).map(([from, days]) => {
      const to = new Date(from.getTime() + days * 86_400_000);
      return [from.toISOString(), Number.isNaN(to.getTime()) ? 'x' : to.toISOString()];
    }),
  },
  fc.tuple(
    farDate.map((date) => date.toISOString()),
    hostileDate,
  ),
  fc.tuple(fc.constantFrom('0000-01-01', '-000001-01-01', '-271821-04-20'), fc.constantFrom('0000-06-01', 'x')),
);
const rangeQuery = (dates: fc.Arbitrary<string[]>, rest: fc.Arbitrary<string>) =>
  fc
    .tuple(dates, rest)
    .map(([[from, to], more]) => `?from=${percent(from)}&to=${percent(to)}${more.replace('?', '&')}`);
const format = fc.constantFrom('', '?format=csv', '?format=ndjson');
const status = fc.constantFrom(...ORDER_STATUSES);

const queueName = fc.oneof(fc.constantFrom('charges', 'emails', 'refunds'), hostileText.map(percent));
const boardRead = fc.oneof(
  fc.constant('/admin/queues'),
  chaosQuery({
    activeQueue: fc.oneof(fc.constantFrom('charges', 'emails', 'refunds'), hostileText),
    status: fc.oneof(fc.constantFrom('latest', 'active', 'waiting', 'completed', 'failed', 'delayed'), hostileText),
    page: numberText,
    jobsPerPage: numberText,
  }).map((query) => `/admin/queues/api/queues${query}`),
  fc
    .tuple(queueName, fc.constantFrom('metrics', 'workers', 'rate-limit', 'job-data-schema', 'default-job-options'))
    .map(([name, what]) => `/admin/queues/api/queues/${name}/${what}`),
  fc
    .tuple(queueName, hostileText.map(percent), fc.constantFrom('', '/logs', '/flow'))
    .map(([name, job, what]) => `/admin/queues/api/queues/${name}/${job}${what}`),
  fc.constantFrom(
    '/admin/queues/api/redis/stats',
    '/admin/queues/api/job-schedulers',
    '/admin/queues/api/metrics/history',
  ),
  hostileText.map((text) => `/admin/queues/static/${percent(text)}`),
  hostileText.map((text) => `/admin/queues/queue/${percent(text)}`),
);

const customerDeep = fc.oneof(
  oneBadQuery({ limit }, fc.oneof({ weight: 3, arbitrary: param('cursor', cursor) }, param('limit', numberText))).map(
    (query) => `/orders${query}`,
  ),
  anyId.map((id) => `/orders/${id}`),
);
const adminDeep = fc.oneof(
  customerDeep,
  oneBadQuery(
    { limit, status, userId: fc.integer({ min: 1, max: 1_000 }).map(String) },
    fc.oneof(
      { weight: 3, arbitrary: param('cursor', cursor) },
      param('limit', numberText),
      param('status', hostileText),
      param('userId', anyId),
    ),
  ).map((query) => `/admin/orders${query}`),
  rangeQuery(farRange, format).map((query) => `/admin/orders/export${query}`),
  rangeQuery(fc.oneof(farRange, fc.tuple(hostileDate, hostileDate)), fc.constant('')).map(
    (query) => `/admin/analytics/dashboard${query}`,
  ),
  boardRead,
);
const privateChaos = fc.oneof(
  chaosQuery().map((query) => `/me${query}`),
  chaosQuery({ limit: numberText, cursor }).map((query) => `/orders${query}`),
  fc.tuple(anyId, chaosQuery()).map(([id, query]) => `/orders/${id}${query}`),
  chaosQuery({ limit: numberText, cursor, status: fc.oneof(status, hostileText), userId: anyId }).map(
    (query) => `/admin/orders${query}`,
  ),
  rangeQuery(farRange, chaosQuery({ format: hostileText })).map((query) => `/admin/orders/export${query}`),
  rangeQuery(fc.tuple(hostileDate, hostileDate), chaosQuery()).map((query) => `/admin/analytics/dashboard${query}`),
  boardRead,
  fc
    .tuple(fc.constantFrom('/health/live', '/health/ready', '/metrics', '/docs', '/docs/json'), chaosQuery())
    .map(([path, query]) => path + query),
  hostileText.map((text) => `/docs/${percent(text)}`),
  fc.constantFrom(...RAW_URL_PIECES).map((piece) => `/orders/${piece}`),
);

/** Signed-in and admin reads (the export only over ranges without orders), the queue board, probes, docs. */
export const privateRead: fc.Arbitrary<Probe> = fc.oneof(
  read(customerDeep, fc.constant<Caller>('customer')),
  { weight: 2, arbitrary: read(adminDeep, fc.constant<Caller>('admin')) },
  {
    weight: 2,
    arbitrary: read(
      privateChaos,
      fc.oneof({ weight: 4, arbitrary: fc.constantFrom<Caller>('admin', 'customer', 'anonymous') }, badCaller),
    ),
  },
);

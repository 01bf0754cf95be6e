import type { FastifyRequest } from 'fastify';
import type { CacheKey } from '../cache-keys.js';

/** What `httpCacheKey` needs of a route's query schema (a zod schema fits). */
export interface QuerySchema {
  safeParse(input: unknown): { success: boolean; data?: unknown };
}

/** The part of `@Cacheable`'s options that decides an entry's key. */
export interface HttpKeyOptions {
  namespace: string;
  query?: QuerySchema;
  params?: readonly string[];
  perUser?: boolean;
}

type Parsed = Record<string, unknown> | undefined;

/** The parse of an empty query string, once per schema: such requests then run no zod at all. */
const emptyQueries = new WeakMap<QuerySchema, Parsed | null>();
const KEYED = Symbol('httpCacheKey');
type KeyedRequest = FastifyRequest & { [KEYED]?: { options: HttpKeyOptions; key: CacheKey | undefined } };

/**
 * The cache key of a `@Cacheable` GET, or `undefined` when it must not be looked up nor stored: a
 * query the route's schema rejects (the handler answers the 400), a query string on a route that
 * declares no schema, a missing path param, a `perUser` route without a caller.
 *
 * The id is built from the parsed values, so one response has one entry whatever the spelling:
 * path params (as sent, in `params` order), then the parsed query with its keys sorted and
 * `undefined` dropped (defaults applied, arrays as parsed), and first the caller for `perUser`.
 * A single part is the id itself: `/products/5` is `'5'`, what the service writes after a change.
 * Synchronous and cheap (the fast path runs it before Nest): memoized on the request, and a
 * request without a query string reuses the schema's parse of `{}`.
 */
export function httpCacheKey(request: FastifyRequest, options: HttpKeyOptions): CacheKey | undefined {
  const memo = (request as KeyedRequest)[KEYED];
  if (memo?.options === options) return memo.key;
  const key = buildKey(request, options);
  // A per-user key depends on `request.user`, which the guards set after the fast path ran.
  if (!options.perUser) (request as KeyedRequest)[KEYED] = { options, key };
  return key;
}

function buildKey(request: FastifyRequest, options: HttpKeyOptions): CacheKey | undefined {
  const parts: unknown[] = [];
  if (options.perUser) {
    const user = (request as { user?: { id?: unknown } }).user?.id;
    if (typeof user !== 'number' && typeof user !== 'string') return undefined;
    parts.push({ user });
  }
  const params = request.params as Record<string, unknown> | undefined;
  for (const name of options.params ?? []) {
    const value = params?.[name];
    if (typeof value !== 'string' || value === '') return undefined;
    parts.push(value);
  }
  const query = parsedQuery(request, options.query);
  if (query === null) return undefined;
  if (query) parts.push(query);
  return { namespace: options.namespace, id: parts.length === 1 ? (parts[0] as CacheKey['id']) : parts };
}

/** The canonical parsed query, `undefined` when empty, `null` when not cacheable. */
function parsedQuery(request: FastifyRequest, schema: QuerySchema | undefined): Parsed | null {
  const at = request.url.indexOf('?');
  const hasQuery = at !== -1 && at < request.url.length - 1;
  if (!schema) return hasQuery ? null : undefined;
  if (hasQuery) return canonical(schema.safeParse(request.query ?? {}));
  let empty = emptyQueries.get(schema);
  if (empty === undefined) emptyQueries.set(schema, (empty = canonical(schema.safeParse({}))));
  return empty;
}

function canonical(result: { success: boolean; data?: unknown }): Parsed | null {
  if (!result.success || typeof result.data !== 'object' || result.data === null) return null;
  const data = result.data as Record<string, unknown>;
  const names = Object.keys(data)
    .filter((name) => data[name] !== undefined)
    .sort();
  return names.length ? Object.fromEntries(names.map((name) => [name, data[name]])) : undefined;
}

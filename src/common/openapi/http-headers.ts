/** The headers the API sends and reads, as OpenAPI `components.headers` and `components.parameters`. */

const token = { type: 'string' } as const;

/** Response headers, by name. Which response carries which is decided by `openapi-document.ts`. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description:
      'The request id: the client’s own X-Request-Id if sane, else a UUID. In every log line of the request.',
    schema: token,
    example: '0f8fad5b-d9cb-469f-a165-70867728950e',
  },
  ETag: {
    description: 'Strong validator of the cached representation; send it back as If-None-Match for a 304.',
    schema: token,
    example: '"2b1c9e0f6a7d4c1e"',
  },
  'X-Cache': {
    description: 'Where the answer came from: HIT (fresh entry), MISS (computed now), STALE (served while refreshing).',
    schema: { type: 'string', enum: ['HIT', 'MISS', 'STALE'] },
  },
  'Cache-Control': {
    description:
      'Public catalog reads: `public, max-age=30, s-maxage=60, stale-while-revalidate=30`. Authenticated answers: ' +
      '`private, no-store` (issued API keys and probes: `no-store`).',
    schema: token,
    example: 'private, no-store',
  },
  RateLimit: {
    description:
      'IETF RateLimit field: per policy the request was counted under, `r` requests left and `t` seconds until the ' +
      'window resets (draft-ietf-httpapi-ratelimit-headers). Absent only where the operator turned limits off.',
    schema: token,
    example: '"default";r=598;t=42',
  },
  'RateLimit-Policy': {
    description: 'IETF RateLimit-Policy field: per policy, its quota `q` per window of `w` seconds.',
    schema: token,
    example: '"default";q=600;w=60',
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (429, and every 503).',
    schema: { type: 'integer', minimum: 0 },
    example: 2,
  },
  'X-Consistency-Token': {
    description:
      'After a write: the database position it reached (signed). Send it back on later requests to read your ' +
      'own writes from the replicas.',
    schema: token,
    example: '0/16B3748.kq3VhS4t',
  },
  'Idempotent-Replayed': {
    description: '`true` when the answer is the stored one of an earlier request with this Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  Link: {
    description:
      'RFC 8288: `<url>; rel="next"`, this request’s path and query with the next page’s `cursor` (or `page`), a ' +
      'relative reference. Sent when the body names a next page (`nextCursor`, `nextPage`); absent on the last page.',
    schema: { type: 'string', pattern: '^<[^<>\\s]+>; rel="next"$' },
    example: '</products?limit=20&cursor=WyJuZXdlc3QiLDQyXQ>; rel="next"',
  },
  'Content-Disposition': {
    description: 'The export is an attachment: `orders.ndjson` or `orders.csv`.',
    schema: token,
    example: 'attachment; filename="orders.ndjson"',
  },
} as const;

export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** Request headers every route reads (`components.parameters`, referenced by each operation). */
export const REQUEST_HEADERS = {
  'X-Request-Id': {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description: 'Your id for the request (1–128 of letters, digits, `_ . : -`); echoed back and logged.',
    schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$' },
  },
  'X-Consistency-Token': {
    name: 'X-Consistency-Token',
    in: 'header',
    required: false,
    description: 'A token from an earlier write’s answer: reads wait for (or skip) replicas behind it. Malformed: 400.',
    schema: token,
  },
  'X-API-Key': {
    name: 'X-API-Key',
    in: 'header',
    required: false,
    description:
      'An API key (from POST /admin/api-keys): rate limits are counted per key, with its own quotas. Unknown or revoked: 401.',
    schema: token,
  },
  'If-None-Match': {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description: 'The ETag of a copy you hold: 304 without a body if it is still current.',
    schema: token,
  },
} as const;

export type RequestHeader = keyof typeof REQUEST_HEADERS;

/** Response header objects: each name given, `true` where every such response carries it. */
export function responseHeaders(required: Partial<Record<ResponseHeader, boolean>>): Record<string, object> {
  return Object.fromEntries(
    Object.entries(required).map(([name, always]) => [
      name,
      { ...RESPONSE_HEADERS[name as ResponseHeader], required: always },
    ]),
  );
}

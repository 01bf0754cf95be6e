import fc from 'fast-check';
import { MAX_INT } from '../../src/common/http/query-params.js';
import { SECRET_PATTERN } from './secret-scan.js';

/**
 * fast-check arbitraries of hostile values for the fuzz test (`test/fuzz.e2e-spec.ts`): strings,
 * numbers, ids, dates, cursors, JSON, query strings; and the request shape the test sends.
 */

export { MAX_INT };

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'TRACE';
/** Who calls: a real session, nobody, a real token tampered with, or a raw Authorization header. */
export type Caller = 'admin' | 'customer' | 'anonymous' | 'tampered' | 'truncated' | { authorization: string };

export interface Probe {
  method: Method;
  url: string;
  caller: Caller;
  headers?: Record<string, string>;
  /** Sent as JSON (content type json unless `headers` say otherwise), or as raw bytes. */
  body?: { json: unknown } | { raw: string | Buffer };
  /** The statuses allowed, or any refusal (≥ 400); unset: anything below 500. */
  expect?: number[] | 'rejected';
}

/** A JSON body for a probe. */
export const json = (value: unknown): Probe['body'] => ({ json: value });

/** Ten hex characters: a fresh, harmless suffix (idempotency keys, API keys, emails). */
export const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 10, maxLength: 10 });

/** Strings that have broken parsers, query builders and validators somewhere. */
const NASTY = [
  "' OR 1=1 --",
  '1 OR 1=1',
  "1'; DROP TABLE users; --",
  '" OR ""="',
  '{"$gt":""}',
  '{"$ne":null}',
  '$where',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '%00',
  '\u0000',
  'a\u0000b',
  '../../../etc/passwd',
  '..%2F..%2F',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '%s%s%s%n',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '-1',
  '0',
  '-0',
  '1e309',
  '1.5',
  '0x10',
  '1_000',
  ' 7',
  '7 ',
  '+7',
  '٣',
  '１２',
  '9'.repeat(400),
  '\u202eevil',
  '🦄',
  'e\u0301',
  '\ud800',
  '\udfff\ud800',
  '\uffff',
  '\ufeff',
  'Ω≈ç√∫˜µ≤≥÷',
  '𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐',
  ' ',
  '',
  '\t\r\n',
  '!:*&|()<->',
];

/**
 * Hostile text. Never anything the response secret scan looks for (`passwordHash`, `$argon2`…):
 * an echoed field name would fail the scan, which is about leaks, not about what clients send.
 */
export const hostileText: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    fc.string({ maxLength: 30 }),
    fc.integer({ min: 201, max: 6_000 }).map((length) => 'x'.repeat(length)),
    fc.tuple(fc.constantFrom(...NASTY), fc.string({ maxLength: 10 })).map(([a, b]) => a + b),
  )
  .filter((text) => !SECRET_PATTERN.test(text));

/** Numbers past every range a field could have, and the JSON-representable oddities. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    -0,
    0.5,
    1.5,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53 + 2,
    -(2 ** 63),
    1e308,
    -1e308,
    5e-324,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, from scalars to nested objects and arrays. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, { $gt: '' }, { $ne: null }, ['a', 1]),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD, as on the wire). */
export function percent(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** Already-encoded URL pieces that are malformed: bad escapes, invalid UTF-8, encoded traversal. */
export const RAW_URL_PIECES = [
  '%',
  '%E0%A4%A',
  '%FF%FE',
  '%ED%A0%80',
  '%C0%AE%C0%AE%2F',
  '%2e%2e%2f',
  '%00',
  '%0d%0aX:1',
  '%25',
];

/**
 * Byte sequences that are not UTF-8: stray and reserved bytes, a truncated sequence, an overlong
 * one, an encoded surrogate, a code point past U+10FFFF.
 */
export const INVALID_UTF8 = [
  [0xff, 0xfe, 0xc3, 0x28],
  [0x80],
  [0xc3],
  [0xe0, 0xa4],
  [0xc0, 0xae],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
].map((bytes) => Buffer.from(bytes));

/** A header value as a client would put UTF-8 on the wire (latin1 bytes), minus what HTTP forbids. */
export function headerSafe(text: string): string {
  // oxlint-disable-next-line no-control-regex -- stripping control characters is the point
  const forbidden = /[\u0000-\u0008\u000A-\u001F\u007F]/g;
  return Buffer.from(text, 'utf8').toString('latin1').replace(forbidden, '');
}

/** A path id: negative, zero, huge, floats, words, injections, unicode, malformed escapes, too long. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    '2147483648',
    '4294967296',
    '99999999999999999999',
    '1.5',
    '1e3',
    '0x1F',
    '01',
    '%201',
    '1%20',
    '%2B1',
    'abc',
    '1%20OR%201%3D1',
    '1%3BDROP%20TABLE%20products',
    'null',
    'NaN',
    '-0',
    '%D9%A3',
    '%EF%BC%91',
    '%F0%9F%A6%84',
    '..%2F..%2Fadmin',
    'x'.repeat(101),
    '1'.repeat(120),
  ),
  fc.constantFrom(...RAW_URL_PIECES),
  fc.integer({ min: -(2 ** 31), max: 0 }).map(String),
  fc.bigInt({ min: 2n ** 31n, max: 2n ** 80n }).map(String),
  fc.double({ noNaN: true }).map((value) => percent(String(value))),
  hostileText.map(percent),
);

/** Whether a path id would pass the API's id rule (writes must never get one by accident). */
export const isValidId = (id: string) => /^[1-9]\d{0,9}$/.test(id) && Number(id) <= MAX_INT;

/** Ids that are well-formed but name nothing (the seed has ~20k rows per table). */
export const missingId = fc.integer({ min: 1_000_000_000, max: MAX_INT }).map(String);

/** Date strings around and beyond every range: JS's ±275,760 years, Postgres's 4713 BC, year 0. */
export const hostileDate: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '-004714-01-01T00:00:00Z',
      '0000-01-01',
      '0000-06-01',
      '-000001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
      '10000-01-01',
      '1970-01-01T00:00:00Z',
      '2024-02-30',
      '2024-13-01',
      '2024-01-01T00:00:00+99:99',
      '1',
      'now',
      'not a date',
      '',
    ),
  },
  { weight: 3, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
  fc.date({ noInvalidDate: true }).map(String),
  hostileText,
);

/** Cursors: foreign sorts, bad shapes, out-of-range keys, random base64, junk, too long. */
export const hostileCursor: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('newest', 'price_asc', 'price_desc', 'NEWEST', '__proto__'),
      fc.oneof(hostileDate, hostileNumber, hostileJson),
      fc.oneof(hostileNumber, fc.integer({ min: 1, max: 20_000 }), hostileJson),
    )
    .map(encode),
  fc.tuple(fc.oneof(hostileDate, hostileNumber), fc.oneof(hostileNumber, hostileJson)).map(encode),
  fc.array(hostileJson, { maxLength: 4 }).map(encode),
  hostileJson.map(encode),
  fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.integer({ min: 201, max: 3_000 }).map((length) => 'A'.repeat(length)),
  hostileText,
);

/** Row ids in cursors: mostly real ones, so that the rest of the cursor is what gets tested. */
const rowId = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 20_000 }) }, hostileNumber);

/** A well-shaped `(created_at, id)` cursor whose date is out of every range: an edited cursor. */
export const createdAtCursor: fc.Arbitrary<string> = fc.tuple(hostileDate, rowId).map(encode);

/** A well-shaped product cursor of `sort` with an out-of-range key (a date, or a price past int4). */
export const productCursor = (sort: string): fc.Arbitrary<string> =>
  fc
    .tuple(
      sort === 'newest'
        ? fc.oneof({ weight: 3, arbitrary: hostileDate }, hostileNumber)
        : fc.oneof(fc.integer({ min: MAX_INT + 1, max: Number.MAX_SAFE_INTEGER }), hostileNumber, hostileDate),
      rowId,
    )
    .map(([key, id]) => encode([sort, key, id]));

export function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value) ?? 'undefined').toString('base64url');
}

/** `?k=v&…`, percent-encoded, with an optional malformed piece appended raw. */
export function toQuery(pairs: [string, string][], raw?: string): string {
  const parts = pairs.map(([key, value]) => `${percent(key)}=${percent(value)}`);
  if (raw) parts.push(raw);
  return parts.length ? `?${parts.join('&')}` : '';
}

export const param = (key: string, value: fc.Arbitrary<string>): fc.Arbitrary<[string, string]> =>
  value.map((text) => [key, text]);

/** Anything goes: known keys with hostile values, hostile keys, duplicates, malformed escapes. */
export function chaosQuery(values: Record<string, fc.Arbitrary<string>> = {}): fc.Arbitrary<string> {
  const known = Object.entries(values).map(([key, value]) => param(key, value));
  const strange = fc.tuple(
    fc.oneof(fc.constantFrom('__proto__', 'constructor', 'limit[$gt]', 'sort[]', '$where', 'x'), hostileText),
    hostileText,
  );
  const pair = known.length ? fc.oneof({ weight: 4, arbitrary: fc.oneof(...known) }, strange) : strange;
  return fc
    .tuple(
      fc.array(pair, { maxLength: 4 }),
      fc.option(fc.constantFrom(...RAW_URL_PIECES, '&&', '=x', 'a=1&a=2'), { nil: undefined }),
    )
    .map(([pairs, raw]) => toQuery(pairs, raw));
}

/**
 * Valid parameters but one, which is hostile: the shape that gets past validation to the code
 * and the SQL behind it. `required` valid keys are always there.
 */
export function oneBadQuery(
  valid: Record<string, fc.Arbitrary<string>>,
  bad: fc.Arbitrary<[string, string]>,
  required: string[] = [],
): fc.Arbitrary<string> {
  return fc
    .tuple(fc.record(valid, { requiredKeys: required }), bad)
    .map(([base, [key, value]]) =>
      toQuery([...Object.entries(base).filter(([name]) => name !== key), [key, value]] as [string, string][]),
    );
}

/** Ids of seeded rows (the small seed has ~20k products and orders, 1k users). */
export const existingId = fc.integer({ min: 1, max: 20_000 }).map(String);
export const anyId = fc.oneof(hostileId, existingId, missingId);
export const badId = hostileId.filter((id) => !isValidId(id));
/** Numbers as query values: mostly near the ranges, else anything. */
export const numberText = fc.oneof(
  fc.integer({ min: -5, max: 120 }).map(String),
  hostileNumber.map(String),
  hostileText,
);

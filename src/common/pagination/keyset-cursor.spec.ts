import { createdAtIdCursor, createdAtIdCursorOf, cursorParam, encodeCursor } from './keyset-cursor.js';

const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('keyset cursors', () => {
  it('round-trips the last row of a page, as opaque URL-safe text', () => {
    const cursor = createdAtIdCursorOf({ createdAt: new Date('2026-11-30T08:00:00.123Z'), id: 42 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(createdAtIdCursor.parse(cursor)).toEqual({ createdAt: new Date('2026-11-30T08:00:00.123Z'), id: 42 });
    expect(createdAtIdCursorOf({ createdAt: '2026-11-30T08:00:00.123Z', id: 42 })).toBe(cursor);
  });

  it('decodes any well-formed cursor to its parts; each list checks their shape', () => {
    expect(cursorParam.parse(encodeCursor([1999, 7]))).toEqual([1999, 7]);
  });

  it.each([
    ['not base64 JSON', 'garbage!'],
    ['JSON that is no list', forge({ createdAt: '2026-01-01T00:00:00Z', id: 1 })],
    ['too long', 'a'.repeat(201)],
  ])('refuses a cursor that is %s', (_what, cursor) => {
    expect(cursorParam.safeParse(cursor).success).toBe(false);
  });

  it.each([
    ['a number for the date', [1_700_000_000_000, 1]],
    ['a date that is no date', ['yesterday', 1]],
    ['a year Postgres cannot hold', ['+010000-01-01T00:00:00.000Z', 1]],
    ['a zero id', ['2026-01-01T00:00:00.000Z', 0]],
    ['a fractional id', ['2026-01-01T00:00:00.000Z', 1.5]],
    ['an id past int4', ['2026-01-01T00:00:00.000Z', 2_147_483_648]],
    ['an id as text', ['2026-01-01T00:00:00.000Z', '1']],
    ['an extra part', ['2026-01-01T00:00:00.000Z', 1, 'x']],
  ])('refuses a forged (created_at, id) cursor with %s', (_what, parts) => {
    expect(createdAtIdCursor.safeParse(forge(parts)).success).toBe(false);
  });
});

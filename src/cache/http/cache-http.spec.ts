import { etagMatches } from './cache-http.js';

describe('etagMatches (If-None-Match)', () => {
  const etag = '"abc"';

  it('matches the same strong tag, and `*`', () => {
    expect(etagMatches('"abc"', etag)).toBe(true);
    expect(etagMatches('*', etag)).toBe(true);
  });

  it('matches any tag of a list, with or without spaces', () => {
    expect(etagMatches('"x", "abc"', etag)).toBe(true);
    expect(etagMatches('"x","abc","y"', etag)).toBe(true);
    expect(etagMatches('"x", "y"', etag)).toBe(false);
  });

  it('compares weakly: a W/ tag matches its strong twin (RFC 9110 for GET)', () => {
    expect(etagMatches('W/"abc"', etag)).toBe(true);
    expect(etagMatches('"x", W/"abc"', etag)).toBe(true);
  });

  it('does not match a different or unquoted tag, or an empty header', () => {
    expect(etagMatches('"abd"', etag)).toBe(false);
    expect(etagMatches('abc', etag)).toBe(false);
    expect(etagMatches('', etag)).toBe(false);
  });
});

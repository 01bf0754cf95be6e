import { createHmac, timingSafeEqual } from 'node:crypto';

/** The claims this API puts in an access token. */
export interface AccessClaims {
  sub: string;
  role: 'customer' | 'admin';
  iat: number;
  exp: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const mac = (secret: string, signed: string) => createHmac('sha256', secret).update(signed).digest();

/** An HS256 access token as the API's /auth/login signs one (the bench mints them for its peers' cases). */
export function signAccessToken(secret: string, userId: number, ttlS = 3_600): string {
  const iat = Math.floor(Date.now() / 1000);
  const claims: AccessClaims = { sub: String(userId), role: 'customer', iat, exp: iat + ttlS };
  const signed = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** The claims of a valid, unexpired HS256 token, else `undefined` (what @nestjs/jwt's verify accepts). */
export function verifyAccessToken(secret: string, token: string): AccessClaims | undefined {
  const [header, payload, signature, extra] = token.split('.');
  if (!header || !payload || !signature || extra !== undefined) return undefined;
  const expected = mac(secret, `${header}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }).alg !== 'HS256') return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as AccessClaims;
    return typeof claims.exp === 'number' && claims.exp * 1000 > Date.now() ? claims : undefined;
  } catch {
    return undefined;
  }
}

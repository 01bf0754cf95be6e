import { negotiate } from '@fastify/accept-negotiator';
import type { FastifyRequest } from 'fastify';

/**
 * The encoding, of those a handler can produce itself (off the event loop), to answer this
 * request in; it sets `Content-Encoding`, which @fastify/compress then leaves be. The plugin's
 * rules: `*` and `x-gzip` mean gzip, `x-no-compression` turns it off. `identity` when none fits.
 */
export function negotiatedEncoding<Encoding extends string>(
  request: FastifyRequest,
  supported: Encoding[],
): Encoding | 'identity' {
  const header = request.headers['accept-encoding'];
  if (header === undefined || request.headers['x-no-compression'] !== undefined) return 'identity';
  return negotiate(header.toLowerCase().replace(/\*|x-gzip/gu, 'gzip'), supported) ?? 'identity';
}

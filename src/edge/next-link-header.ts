import type { FastifyReply, FastifyRequest, preSerializationHookHandler } from 'fastify';
import { nextLinkOf } from '../common/pagination/next-link.js';
import type { PaginatedOptions } from '../common/pagination/paginated.decorator.js';

/** `Link: <…>; rel="next"` (RFC 8288) when the page names a next one: clients follow it rather than build it. */
export function writeNextLink(
  request: FastifyRequest,
  reply: FastifyReply,
  body: unknown,
  options: PaginatedOptions,
): void {
  const link = nextLinkOf(request.url, body, options);
  if (link) reply.header('link', link);
}

/** For a `@Paginated` route's handler answers: read before serializing, so no JSON is parsed back. */
export const nextLinkPreSerialization =
  (options: PaginatedOptions): preSerializationHookHandler<unknown> =>
  (request, reply, payload, done) => {
    if (reply.statusCode === 200) writeNextLink(request, reply, payload, options);
    done(null, payload);
  };

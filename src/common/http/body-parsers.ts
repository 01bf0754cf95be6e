import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { ProblemException } from './problem.exception.js';

/** Charsets a JSON body may declare (RFC 8259: JSON between systems is UTF-8). */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * The only request bodies the API reads: JSON in UTF-8. Every other media type — `text/plain` and
 * forms included, which Fastify and Nest would otherwise parse — and a body without a type are
 * one answer: a 415 problem. Requires `NestFactory.create(..., { bodyParser: false })`: Nest
 * would otherwise add its own JSON and form parsers at init (and fail on this one's).
 *
 * Reads each body as bytes (after `@fastify/compress` has inflated it, within the body limit,
 * which applies to the inflated size) and refuses invalid UTF-8 with a 400 problem: decoded as
 * a string, such bytes would silently become U+FFFD and be stored. Then Fastify's own JSON parser
 * (secure-json-parse: `__proto__` and `constructor.prototype` refused).
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = charsetOf(request);
    if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
      done(refusal(415, 'unsupported-media-type', `Request bodies must be JSON in UTF-8 (got charset=${charset}).`));
      return;
    }
    if (!isUtf8(body as Buffer)) {
      done(refusal(400, 'invalid-utf8', 'The request body is not valid UTF-8.', 'must be valid UTF-8'));
      return;
    }
    // Fastify's own parser answers through `done`, synchronously: nothing to await.
    void parseJson(request, (body as Buffer).toString('utf8'), done);
  });
}

/**
 * A problem that also carries `statusCode`, the status Fastify and plugins' own error handlers
 * (Bull Board's scope) read: else they would answer 500.
 */
function refusal(status: number, slug: string, detail: string, bodyError?: string): ProblemException {
  const errors = bodyError === undefined ? undefined : [{ field: 'body', message: bodyError }];
  return Object.assign(new ProblemException(status, slug, detail, errors), { statusCode: status });
}

function charsetOf(request: FastifyRequest): string | undefined {
  const match = CHARSET.exec(request.headers['content-type'] ?? '');
  return match ? match[1].toLowerCase() : undefined;
}

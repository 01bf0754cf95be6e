import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import { ProblemException } from './problem.exception.js';

/** A run of consecutive percent-escapes: the only place invalid UTF-8 can hide in a URL. */
const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Whether the query string of `url` decodes to valid UTF-8. Fastify's query parser turns
 * `%FF%FE` into U+FFFD without a word (the router refuses such a path, not such a query). Each
 * run of escapes is checked alone: bytes between runs are ASCII or whole characters, which can
 * neither complete a truncated sequence nor break a valid one.
 */
export function isUtf8Query(url: string): boolean {
  const start = url.indexOf('?');
  if (start === -1 || !url.includes('%', start)) return true;
  for (const [run] of url.slice(start + 1).matchAll(ESCAPE_RUN)) {
    if (!isUtf8(Buffer.from(run.replaceAll('%', ''), 'hex'))) return false;
  }
  return true;
}

const NOT_UTF8 = new ProblemException(
  400,
  'invalid-utf8',
  'The query string is not valid UTF-8 once percent-decoded.',
  [{ field: 'query', message: 'percent-escapes must decode to valid UTF-8' }],
).toProblem();

/**
 * Fastify `onRequest` hook: a query string that is not UTF-8 once decoded is a 400 problem. It
 * answers by itself rather than throwing: plugin scopes (Bull Board) have error handlers of
 * their own that would turn the error into a 500.
 */
export async function refuseInvalidUtf8Query(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (isUtf8Query(request.url)) return;
  await reply
    .code(400)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...NOT_UTF8, instance: request.url.split('?')[0] });
}

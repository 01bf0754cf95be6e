import { isUtf8 } from 'node:buffer';
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

/** The 400 for a query string that is not UTF-8 once decoded. */
export class InvalidUtf8Query extends ProblemException {
  constructor() {
    super(400, 'invalid-utf8', 'The query string is not valid UTF-8 once percent-decoded.', [
      { field: 'query', message: 'percent-escapes must decode to valid UTF-8' },
    ]);
  }
}

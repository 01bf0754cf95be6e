import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem-details.js';
import { PROBLEM_BASE } from './problem.exception.js';

/** How long a refused connection may keep sending before it is cut. */
const LINGER_MS = 2_000;

/** Sockets already answered: the parser reports every later chunk of a broken request again. */
const answered = new WeakSet<Duplex>();

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses before Fastify sees them (a
 * URL or headers over `maxHeaderSize`, bytes HTTP forbids, a request that took too long) get a
 * complete problem+json response, then the connection is closed. Fastify's default writes plain
 * JSON and destroys the socket at once, which can reset the connection before the client reads
 * the answer.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    socket.destroy();
    return;
  }
  if (answered.has(socket)) return;
  answered.add(socket);
  // A keep-alive connection may still be answering an earlier (pipelined) request: the problem
  // follows that response instead of cutting into it or cutting it off.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (inFlight && !inFlight.writableFinished) inFlight.once('finish', () => answer(socket, error.code));
  else answer(socket, error.code);
}

function answer(socket: Duplex, code: string | undefined): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const problem = clientProblem(code);
  const body = JSON.stringify(problem);
  // end(), not destroy(): the answer reaches the client before the close.
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'x-content-type-options: nosniff\r\n' +
      'connection: close\r\n\r\n' +
      body,
  );
  // A client that keeps the connection open (or keeps sending) is cut after a short linger.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** The problem for a parser error code (`HPE_*`, Node's request timeout). */
export function clientProblem(code: string | undefined): ProblemDetails {
  if (code === 'HPE_HEADER_OVERFLOW')
    return problem(431, 'The request line and headers together exceed the size this server accepts.');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem(408, 'The request did not arrive in time.');
  return problem(400, `The request is not valid HTTP/1.1${code?.startsWith('HPE_') ? ` (${code})` : ''}.`);
}

function problem(status: number, detail: string): ProblemDetails {
  const title = STATUS_CODES[status]!;
  return { type: `${PROBLEM_BASE}${title.toLowerCase().replace(/[^a-z]+/g, '-')}`, title, status, detail };
}

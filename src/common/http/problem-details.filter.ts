import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError, isPoolExhausted, isStatementTimeout } from '../../database/database-errors.js';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem-details.js';
import { DEFAULT_RETRY_AFTER_S, PROBLEM_BASE, ProblemException } from './problem.exception.js';

/**
 * Renders every error as `application/problem+json`. Unexpected errors become a bare 500 with no
 * message or stack (those go to the log); Fastify's own 4xx errors (bad JSON, body too large,
 * wrong content type) keep their status.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const details = toProblemDetails(exception);
    if (details.status === 500) {
      this.logger.error(
        `${request.method} ${request.url} failed`,
        exception instanceof Error ? exception.stack : exception,
      );
    } else if (details.status >= 500) {
      // A deliberate 5xx (a dependency is down, a statement timed out): one line, no stack.
      this.logger.warn(`${request.method} ${request.url}: ${details.status} ${details.detail}`);
    }
    void sendProblem(request, reply, exception, details);
  }
}

/**
 * `Retry-After` seconds for an error response: the thrower's (`ProblemException.retryAfterS`),
 * else a default for every 503, so that clients and balancers back off instead of hammering.
 */
export function retryAfterOf(exception: unknown, status: number): number | undefined {
  const chosen = exception instanceof ProblemException ? exception.retryAfterS : undefined;
  if (chosen !== undefined) return Math.max(0, Math.ceil(chosen));
  return status === 503 ? DEFAULT_RETRY_AFTER_S : undefined;
}

/**
 * Answers with the problem document of `exception` (with `instance`, and `Retry-After` where
 * `retryAfterOf` gives one). The one way errors are written, from the exception filter and from
 * the hooks that answer before Nest.
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  exception: unknown,
  details: ProblemDetails = toProblemDetails(exception),
): FastifyReply {
  details.instance ??= request.url.split('?')[0];
  const retryAfter = retryAfterOf(exception, details.status);
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', retryAfter);
  return reply.code(details.status).type(PROBLEM_CONTENT_TYPE).send(details);
}

/** The problem+json body for any thrown value (HTTP exceptions keep their status; others are a bare 500). */
export function toProblemDetails(exception: unknown): ProblemDetails {
  if (exception instanceof ProblemException) return exception.toProblem();
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return problem(status, slugOf(status), detailOf(exception));
  }
  const status = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return problem(status, slugOf(status), (exception as Error).message);
  }
  // The database is slow or away: something a caller can act on (retry later), not "something broke".
  if (isStatementTimeout(exception))
    return problem(503, slugOf(503), 'The database did not answer in time (statement timeout).');
  if (isPoolExhausted(exception))
    return problem(503, slugOf(503), 'The database is busy: no connection came free in time.');
  if (isConnectionError(exception)) return problem(503, slugOf(503), 'The database is unavailable.');
  return problem(500, 'internal-error', 'An unexpected error occurred.');
}

function detailOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function problem(status: number, slug: string, detail: string): ProblemDetails {
  return { type: `${PROBLEM_BASE}${slug}`, title: STATUS_CODES[status] ?? 'Error', status, detail };
}

function slugOf(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '-');
}

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { getQueueToken } from '@nestjs/bullmq';
import { ForbiddenException, HttpException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { Queue } from 'bullmq';
import { AuthService } from '../auth/auth.service.js';
import { PROBLEM_CONTENT_TYPE, retryAfterOf, toProblemDetails } from '../common/http/index.js';
import { CHARGES_QUEUE, EMAILS_QUEUE } from '../queues/queues.constants.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues, for admins only: a bearer token, or Basic email:password so that a
 * browser can open it (it prompts, then resends the credentials with each of the board's calls).
 * Outside Nest's router (Bull Board is a Fastify plugin), so the admin check is a hook on its scope.
 */
export async function mountQueueBoard(app: NestFastifyApplication): Promise<void> {
  const auth = app.get(AuthService);
  const board = new BoardAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: [CHARGES_QUEUE, EMAILS_QUEUE].map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)))),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'store-api queues' } },
  });
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      try {
        const header = request.headers.authorization;
        if (!header) throw new HttpException('Admin credentials required (bearer token or Basic).', 401);
        const user = await auth.userOf(header, { basic: true });
        if (user.role !== 'admin') throw new ForbiddenException('The queue board is for admins only.');
      } catch (error) {
        const details = { ...toProblemDetails(error), instance: QUEUE_BOARD_PATH };
        if (details.status === 401) reply.header('www-authenticate', 'Basic realm="store-api queues", charset="UTF-8"');
        const retryAfter = retryAfterOf(error, details.status);
        if (retryAfter !== undefined) reply.header('retry-after', retryAfter);
        return reply.code(details.status).type(PROBLEM_CONTENT_TYPE).send(details);
      }
    });
    scope.addHook('onSend', async (request, reply, payload) => boardErrorAsProblem(request.url, reply, payload));
    await scope.register(board.registerPlugin() as never, { prefix: QUEUE_BOARD_PATH });
  });
}

/**
 * Bull Board answers its own errors (unknown queue or job, bad query) as `{ error: { key } }`:
 * those become problem documents like every other error, keeping the board's members (RFC 9457
 * extensions) for its UI.
 */
function boardErrorAsProblem(url: string, reply: FastifyReply, payload: unknown): unknown {
  const type = String(reply.getHeader('content-type') ?? '');
  if (reply.statusCode < 400 || type.startsWith(PROBLEM_CONTENT_TYPE) || typeof payload !== 'string') return payload;
  let board: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(payload);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) board = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the problem says what the status says.
  }
  const key = (board.error as { key?: unknown } | undefined)?.key;
  const detail = typeof key === 'string' ? `Queue board: ${key}` : 'The queue board refused the request.';
  const problem = {
    ...board,
    ...toProblemDetails(new HttpException(detail, reply.statusCode)),
    instance: url.split('?')[0],
  };
  void reply.type(PROBLEM_CONTENT_TYPE);
  return JSON.stringify(problem);
}

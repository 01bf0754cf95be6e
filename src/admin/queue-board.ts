import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { HttpException, UnauthorizedException } from '@nestjs/common';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import type { AuthService } from '../auth/auth.service.js';
import { PROBLEM_CONTENT_TYPE, sendProblem, toProblemDetails } from '../common/http/index.js';
import { limitRefusal, type RateLimitService } from '../rate-limit/index.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** One answer for a missing, wrong or non-admin login: the board does not say which it was. */
const DENIED = 'Admin credentials required (a bearer token or Basic email:password of an admin).';

/**
 * Bull Board at /admin/queues, for admins only: a bearer token (verified by the edge), or Basic
 * email:password so that a browser can open it (it prompts, then resends the credentials with each
 * of the board's calls). A Basic password is checked as a login is — under the `auth` limit of
 * the caller and the per-account limit — then remembered for a minute.
 */
export class QueueBoard {
  private readonly board = new BoardAdapter();

  constructor(
    queues: Queue[],
    private readonly auth: AuthService,
    private readonly limits: RateLimitService,
  ) {
    this.board.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue)),
      serverAdapter: this.board,
      options: { uiConfig: { boardTitle: 'store-api queues' } },
    });
  }

  /** The board's own routes (register with `prefix: QUEUE_BOARD_PATH`). */
  get plugin(): FastifyPluginCallback {
    return this.board.registerPlugin() as FastifyPluginCallback;
  }

  /**
   * `onRequest` of the board's scope: admins pass; anyone else gets the same 401. Callback style on
   * purpose: an async hook that answers lets Fastify go on to the handler whenever the answer is
   * not yet written when the hook resolves (the scope's async `onSend` writes it a tick later), so
   * a refused caller's pause or clean would still run. Here a refusal never calls `done`.
   */
  readonly authorize = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    this.admitted(request, reply).then((admitted) => admitted && done(), done);
  };

  /** True for an admin; otherwise the 401 (or 429, 503) is sent and false returned. */
  private async admitted(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    try {
      const user = request.user ?? (await this.basicUser(request));
      // A demoted admin's earlier token (or remembered Basic login) is refused as well.
      if (user?.role !== 'admin' || !(await this.auth.isCurrent(user))) throw new UnauthorizedException(DENIED);
      return true;
    } catch (error) {
      const details = toProblemDetails(error);
      if (details.status === 401) {
        details.detail = DENIED;
        reply.header('www-authenticate', 'Basic realm="store-api queues", charset="UTF-8"');
      }
      sendProblem(request, reply, error, details);
      return false;
    }
  }

  private async basicUser(request: FastifyRequest) {
    const [scheme = '', credentials = ''] = request.headers.authorization?.split(' ') ?? [];
    if (scheme.toLowerCase() !== 'basic' || !credentials) return undefined;
    const known = this.auth.knownBasic(credentials);
    if (known) return known;
    // A password check: counted as a login attempt of this caller.
    if (this.limits.enabled && request.clientIdentity) {
      const decision = await this.limits.consume('auth', request.clientIdentity.client);
      if (!decision.allowed) throw limitRefusal(decision);
    }
    return this.auth.verifyBasic(credentials);
  }

  /**
   * `onSend` of the board's scope. Bull Board answers its own errors (unknown queue or job, bad
   * query) as `{ error: { key } }`: those become problem documents like every other error, keeping
   * the board's members (RFC 9457 extensions) for its UI.
   */
  errorsAsProblems(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
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
      instance: request.url.split('?')[0],
    };
    void reply.type(PROBLEM_CONTENT_TYPE);
    return JSON.stringify(problem);
  }
}

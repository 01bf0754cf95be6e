import {
  BadRequestException,
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, mergeMap } from 'rxjs';
import { CONSISTENCY_TOKEN_HEADER, READ_FROM_PRIMARY } from '../database.constants.js';
import { DATABASE_MODULE_OPTIONS } from '../database.module-definition.js';
import type { DatabaseModuleOptions } from '../database.options.js';
import { Db } from '../db.service.js';
import { isLsn, parseLsn, type Lsn } from '../../common/lsn.js';
import { ConsistencyTokens } from './consistency-tokens.js';
import { requestConsistency, type RequestConsistency } from './request-consistency.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Read-your-writes across requests and instances. Before the handler: the client's
 * `X-Consistency-Token` (or else the user's last write position) becomes the minimum WAL position
 * a replica must have replayed to serve this request. After a handler that wrote: the response
 * carries the primary's position as the new token, and the user's position is remembered.
 * Tokens are signed (`ConsistencyTokens`): a client can hand back only a position it was given.
 */
@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  private readonly tokens: ConsistencyTokens;

  constructor(
    private readonly db: Db,
    private readonly reflector: Reflector,
    @Inject(DATABASE_MODULE_OPTIONS) options: DatabaseModuleOptions,
  ) {
    this.tokens = new ConsistencyTokens(options.consistencyTokenKey);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: { id?: unknown } }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const primaryOnly =
      this.reflector.getAllAndOverride<boolean>(READ_FROM_PRIMARY, [context.getHandler(), context.getClass()]) ?? false;
    const token = this.tokenOf(request);
    const userId = request.user?.id === undefined ? undefined : String(request.user.id);
    // A safe request with no consistency needs has nothing to track: skip the context (and the
    // async-context bookkeeping it costs). GET and HEAD handlers are assumed not to write.
    if (SAFE_METHODS.has(request.method) && token === undefined && userId === undefined && !primaryOnly)
      return next.handle();

    // Every read on the primary: no position to look up.
    return from(primaryOnly ? Promise.resolve(undefined) : this.minimumPosition(token, userId)).pipe(
      mergeMap(
        (minLsn) =>
          new Observable<unknown>((subscriber) => {
            const state: RequestConsistency = { minLsn, wrote: false, primaryOnly };
            return requestConsistency.run(state, () =>
              next
                .handle()
                .pipe(
                  mergeMap((body) =>
                    state.wrote
                      ? this.issueToken(reply, userId, state.committedAt).then(() => body)
                      : Promise.resolve(body),
                  ),
                )
                .subscribe(subscriber),
            );
          }),
      ),
    );
  }

  /**
   * A malformed header is a client bug: 400. A well-formed token without a valid signature is
   * ignored, not refused: it is what a client holds across a secret rotation (or an upgrade from
   * unsigned tokens), and ignoring it costs a forger everything it wanted (reads stay on replicas)
   * while an honest client only loses read-your-writes for that one token.
   */
  private tokenOf(request: FastifyRequest): Lsn | undefined {
    const header = request.headers[CONSISTENCY_TOKEN_HEADER];
    if (header === undefined || header === '') return undefined;
    const reading = typeof header === 'string' ? this.tokens.read(header) : { kind: 'malformed' as const };
    if (reading.kind === 'malformed') {
      throw new BadRequestException(
        `${CONSISTENCY_TOKEN_HEADER} must be a token returned by an earlier response (such as 0/16B3748.<signature>).`,
      );
    }
    return reading.kind === 'genuine' ? reading.lsn : undefined;
  }

  private async minimumPosition(token: Lsn | undefined, userId: string | undefined): Promise<Lsn | undefined> {
    if (token !== undefined || userId === undefined) return token;
    const stored = await this.db.lastWriteOf(userId);
    return stored && isLsn(stored) ? parseLsn(stored) : undefined;
  }

  /** `committedAt`: the position the handler read after its last write, if it did (saves a round trip). */
  private async issueToken(reply: FastifyReply, userId: string | undefined, committedAt?: string): Promise<void> {
    const lsn =
      userId === undefined
        ? (committedAt ?? (await this.db.currentLsn()))
        : await this.db.rememberWrite(userId, committedAt);
    reply.header(CONSISTENCY_TOKEN_HEADER, this.tokens.issue(lsn));
  }
}

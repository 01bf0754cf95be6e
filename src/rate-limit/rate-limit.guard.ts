import { HttpException, Inject, Injectable, Logger, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { answeredBeforeGuards } from '../cache/index.js';
import { PROBLEM_CONTENT_TYPE, ProblemException, toProblemDetails } from '../common/http/index.js';
import { RATE_LIMIT_POLICIES, RATE_LIMIT_SKIP } from './rate-limit.constants.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.module-definition.js';
import type { RateLimitModuleOptions } from './rate-limit.options.js';
import { RateLimitStats } from './rate-limit-stats.js';
import { RateLimitStoreUnavailable } from './redis-throttler.storage.js';

/**
 * `@nestjs/throttler`'s guard, with: one count per client and policy across routes (not per
 * route); the client is the signed-in user, else its API key, else its IP (Fastify's `trustProxy`
 * decides which IP); the IETF `RateLimit-Policy` / `RateLimit` headers beside the
 * `X-RateLimit-*` ones; a 429 problem with `Retry-After`; and an explicit policy when Redis is
 * unavailable: let the request through (counted, warned once per outage), or 503 for policies
 * marked `failClosed` (auth).
 * Register after the AuthGuard, so that the user is known. Requests the cache answers before the
 * guards (public cached GETs) are counted in a Fastify hook instead (`default` and the route's
 * named policies), by API key or IP (the token is not read there).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard implements OnModuleInit {
  private readonly log = new Logger('RateLimit');
  private storeDown = false;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(RATE_LIMIT_OPTIONS) private readonly rateLimitOptions: RateLimitModuleOptions,
    readonly stats: RateLimitStats,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super(options, storage, reflector);
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    if (this.rateLimitOptions.enabled === false) return;
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onRequest', async (request, reply) => {
      if (!answeredBeforeGuards(request)) return;
      (request as CountedRequest)[COUNTED] = true;
      const named = (request.routeOptions.config as { [RATE_LIMIT_POLICIES]?: string[] })[RATE_LIMIT_POLICIES] ?? [];
      const tracker = await this.getTracker(request as never);
      try {
        for (const name of ['default', ...named]) {
          const policy = this.rateLimitOptions.policies[name];
          if (policy) await this.consume(reply, name, policy.limit, this.windowMs, tracker);
        }
      } catch (error) {
        return reply
          .code((error as HttpException).getStatus?.() ?? 500)
          .type(PROBLEM_CONTENT_TYPE)
          .send({ ...toProblemDetails(error), instance: request.url.split('?')[0] });
      }
    });
  }

  private get windowMs(): number {
    return this.rateLimitOptions.windowMs ?? 60_000;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http' || this.rateLimitOptions.enabled === false) return true;
    return (
      this.reflector.getAllAndOverride<boolean>(RATE_LIMIT_SKIP, [context.getHandler(), context.getClass()]) ?? false
    );
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { user, headers, ip } = request as unknown as FastifyRequest & { user?: { id: number } };
    if (user) return `user:${user.id}`;
    const apiKey = headers[this.rateLimitOptions.apiKeyHeader ?? 'x-api-key'];
    if (typeof apiKey === 'string' && apiKey)
      return `key:${createHash('sha256').update(apiKey).digest('base64url').slice(0, 22)}`;
    return `ip:${ip}`;
  }

  protected override async handleRequest({ context, limit, ttl, throttler, getTracker }: ThrottlerRequest) {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const policy = throttler.name ?? 'default';
    if ((request as CountedRequest)[COUNTED]) return true; // counted in the hook
    return this.consume(reply, policy, limit, ttl, await getTracker(request as never, context));
  }

  /** Counts one request; sets the headers; throws the 429 (or the fail-closed 503). */
  private async consume(
    reply: FastifyReply,
    policy: string,
    limit: number,
    ttl: number,
    tracker: string,
  ): Promise<boolean> {
    const key = `${policy}:${tracker}`;
    let record;
    try {
      record = await this.storageService.increment(key, ttl, limit, ttl, policy);
      this.storeDown = false;
    } catch (error) {
      if (!(error instanceof RateLimitStoreUnavailable)) throw error;
      return this.whenStoreDown(policy, error);
    }
    const windowS = Math.round(ttl / 1000);
    const remaining = Math.max(0, limit - record.totalHits);
    appendHeader(reply, 'RateLimit-Policy', `"${policy}";q=${limit};w=${windowS}`);
    appendHeader(reply, 'RateLimit', `"${policy}";r=${record.isBlocked ? 0 : remaining};t=${record.timeToExpire}`);
    const suffix = policy === 'default' ? '' : `-${policy}`;
    reply.header(`X-RateLimit-Limit${suffix}`, limit);
    reply.header(`X-RateLimit-Remaining${suffix}`, record.isBlocked ? 0 : remaining);
    reply.header(`X-RateLimit-Reset${suffix}`, record.timeToExpire);
    if (!record.isBlocked) return true;
    this.stats.reject(policy);
    reply.header('Retry-After', record.timeToBlockExpire);
    throw new ProblemException(
      429,
      'rate-limited',
      `Too many requests (${policy}: ${limit} per ${windowS} s); retry in ${record.timeToBlockExpire} s.`,
    );
  }

  private whenStoreDown(policy: string, error: Error): boolean {
    if (this.rateLimitOptions.policies[policy]?.failClosed) {
      this.stats.failClosed++;
      throw new HttpException(`Rate limiting is unavailable, so ${policy} requests are refused; retry shortly.`, 503);
    }
    this.stats.failOpen++;
    if (!this.storeDown) this.log.warn(`rate-limit store unavailable (${error.message}): requests pass unlimited`);
    this.storeDown = true;
    return true;
  }
}

const COUNTED = Symbol('rateLimitCounted');
type CountedRequest = FastifyRequest & { [COUNTED]?: boolean };

function appendHeader(reply: FastifyReply, name: string, value: string): void {
  const existing = reply.getHeader(name);
  reply.header(name, existing ? `${String(existing)}, ${value}` : value);
}

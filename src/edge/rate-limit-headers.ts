import type { FastifyReply } from 'fastify';
import type { LimitDecision } from '../rate-limit/index.js';

/**
 * The IETF `RateLimit-Policy` / `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers), one
 * item per policy the request was counted under. Not the older `X-RateLimit-*` trio: it says the
 * same three times over, on every response, and each header costs a hit ~2 % of its time.
 */
export class RateLimitHeaders {
  private readonly policyItems = new Map<string, string>();

  constructor(private readonly windowS: number) {}

  write(reply: FastifyReply, { policy, limit, remaining, resetS }: LimitDecision): void {
    const name = `${policy}:${limit}`;
    let item = this.policyItems.get(name);
    if (item === undefined) this.policyItems.set(name, (item = `"${policy}";q=${limit};w=${this.windowS}`));
    append(reply, 'ratelimit-policy', item);
    append(reply, 'ratelimit', `"${policy}";r=${remaining};t=${resetS}`);
  }
}

function append(reply: FastifyReply, name: string, value: string): void {
  const existing = reply.getHeader(name);
  reply.header(name, existing === undefined ? value : `${String(existing)}, ${value}`);
}

import type { FastifyReply } from 'fastify';
import type { LimitDecision } from '../rate-limit/index.js';

/**
 * The IETF `RateLimit-Policy` / `RateLimit` fields (one item per policy the request was counted
 * under), and the older `X-RateLimit-*` ones many clients read (`-<policy>` suffixed beyond
 * `default`).
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
    const suffix = policy === 'default' ? '' : `-${policy}`;
    reply
      .header(`x-ratelimit-limit${suffix}`, limit)
      .header(`x-ratelimit-remaining${suffix}`, remaining)
      .header(`x-ratelimit-reset${suffix}`, resetS);
  }
}

function append(reply: FastifyReply, name: string, value: string): void {
  const existing = reply.getHeader(name);
  reply.header(name, existing === undefined ? value : `${String(existing)}, ${value}`);
}

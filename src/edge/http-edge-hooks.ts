import type { FastifyContextConfig, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { AuthUser } from '../auth/auth-user.js';
import { CacheFastPath } from '../cache/index.js';
import { ProblemException, sendProblem } from '../common/http/index.js';
import { InvalidUtf8Query, isUtf8Query } from '../common/http/query-encoding.js';
import { AccessLog } from '../logging/access-log.js';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { RateLimitService, limitRefusal, type LimitDecision } from '../rate-limit/index.js';
import { endServerSpan, inServerSpan, startServerSpan, type ServerSpan } from '../tracing/trace-context.js';
import { ClientIdentities, type ClientIdentity } from './client-identity.js';
import { writeNextLink } from './next-link-header.js';
import { RateLimitHeaders } from './rate-limit-headers.js';
import { DEFAULT_ROUTE_POLICY, routePolicyIn, type RoutePolicy } from './route-policy.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller of a valid bearer token, or null; set by the edge for every request. */
    user?: AuthUser | null;
    /** Who the request is counted as; set by the edge for every request. */
    clientIdentity?: ClientIdentity;
    /** The matched route's template (`/products/:id`), or `unmatched`; set by the edge. */
    routeTemplate?: string;
    /** Its trace span, while tracing is on (docs/tracing.md); set by the edge. */
    serverSpan?: ServerSpan;
  }
}

type Done = HookHandlerDoneFunction;

const SHUTTING_DOWN = new ProblemException(
  503,
  'shutting-down',
  'This instance is shutting down; retry on another.',
  undefined,
  {
    retryAfterS: 1,
  },
);

/** The edge's hooks (see `installHttpEdge` for their order and why each is there). */
export class HttpEdge {
  private readonly rateLimitHeaders: RateLimitHeaders;
  private closing = false;

  constructor(
    private readonly identities: ClientIdentities,
    private readonly limits: RateLimitService,
    private readonly cache: CacheFastPath,
    private readonly metrics: HttpMetrics,
    private readonly accessLog: AccessLog,
    private readonly logContext: PinoLogger,
    private readonly closeIdleConnections: () => void,
  ) {
    this.rateLimitHeaders = new RateLimitHeaders(Math.round(limits.windowMs / 1000));
  }

  /** Identity, limits, unknown keys, cache hits: synchronous unless Redis or the database must be asked. */
  readonly onRequest = (request: FastifyRequest, reply: FastifyReply, done: Done): void => {
    // `routeOptions` is a getter that builds a dozen fields: read once, kept for the later hooks.
    const { config, url } = request.routeOptions;
    request.routeTemplate = url ?? 'unmatched';
    // Tracing on: the request's span, and every later hook, the handler and their queries run in it.
    request.serverSpan = startServerSpan(request.method, url, request.url, request.headers);
    if (request.serverSpan) return inServerSpan(request.serverSpan, () => this.receive(request, reply, done, config));
    this.receive(request, reply, done, config);
  };

  private receive(request: FastifyRequest, reply: FastifyReply, done: Done, config: FastifyContextConfig): void {
    reply.header('x-request-id', request.id);
    if (this.closing) return void sendProblem(request, reply, SHUTTING_DOWN);
    // Fastify's query parser would turn such escapes into U+FFFD without a word.
    if (!isUtf8Query(request.url)) return void sendProblem(request, reply, new InvalidUtf8Query());
    const policy = routePolicyIn(config) ?? DEFAULT_ROUTE_POLICY;
    const identity = this.identities.resolve(request);
    if (!(identity instanceof Promise)) return this.admit(request, reply, done, policy, identity);
    // A key the registry could not look up (its database away) is a problem answered here, not a 500.
    identity.then(
      (resolved) => this.admit(request, reply, done, policy, resolved),
      (error: unknown) => void sendProblem(request, reply, error),
    );
  }

  readonly preHandler = (request: FastifyRequest, _reply: FastifyReply, done: Done): void => {
    this.logContext.runInContext(done, { bindings: { reqId: request.id } });
  };

  readonly onResponse = (request: FastifyRequest, reply: FastifyReply, done: Done): void => {
    this.metrics.record(request, reply);
    // In the span, so that the access log line carries its trace id.
    if (request.serverSpan) inServerSpan(request.serverSpan, () => this.accessLog.write(request, reply));
    else this.accessLog.write(request, reply);
    endServerSpan(request.serverSpan, reply.statusCode);
    // This response's connection may have been busy when closing began: close it now it is idle.
    if (this.closing) setImmediate(this.closeIdleConnections);
    done();
  };

  readonly preClose = (done: Done): void => {
    this.closing = true;
    done();
  };

  private admit(
    request: FastifyRequest,
    reply: FastifyReply,
    done: Done,
    policy: RoutePolicy,
    identity: ClientIdentity,
  ) {
    request.clientIdentity = identity;
    request.user = identity.user ?? null;
    this.count(request, reply, done, policy, identity, this.limits.enabled ? 0 : policy.limits.length);
  }

  /** Counts the route's policies from `from` on, one after the other; synchronous while leases last. */
  private count(
    request: FastifyRequest,
    reply: FastifyReply,
    done: Done,
    policy: RoutePolicy,
    identity: ClientIdentity,
    from: number,
  ): void {
    for (let index = from; index < policy.limits.length; index++) {
      const name = policy.limits[index];
      const decision = this.limits.consume(name, identity.client, identity.key?.limits[name]);
      if (decision instanceof Promise) {
        decision.then((decided) => {
          if (this.apply(request, reply, decided)) this.count(request, reply, done, policy, identity, index + 1);
        }, done);
        return;
      }
      if (!this.apply(request, reply, decision)) return;
    }
    this.answer(request, reply, done, policy, identity);
  }

  /** Writes the decision's headers; refuses the request (and returns false) if it did not pass. */
  private apply(request: FastifyRequest, reply: FastifyReply, decision: LimitDecision): boolean {
    this.rateLimitHeaders.write(reply, decision);
    if (decision.allowed) return true;
    void sendProblem(request, reply, limitRefusal(decision));
    return false;
  }

  private answer(
    request: FastifyRequest,
    reply: FastifyReply,
    done: Done,
    policy: RoutePolicy,
    identity: ClientIdentity,
  ) {
    if (identity.unknownKey)
      return void sendProblem(
        request,
        reply,
        new ProblemException(401, 'unknown-api-key', 'The X-API-Key is not a registered key, or it was revoked.'),
      );
    if (!policy.answeredByEdge || request.method !== 'GET') return done();
    const paginated = policy.paginated;
    const answered = this.cache.answer(
      request,
      reply,
      policy.cacheable!,
      paginated && ((value) => writeNextLink(request, reply, value, paginated)),
    );
    if (answered === false) return done();
    if (answered !== true) answered.then((sent) => sent || done(), done);
  }
}

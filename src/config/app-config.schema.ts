import { z } from 'zod';
import { bool, commaList, int, postgresUrl, redisClusterNodes, redisUrl } from './config-fields.js';
import { keepDeliveriesPastJobs, retentionFields } from './retention-fields.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;

/**
 * The development and test signing secret. It is public (it is in this file), so whoever can reach
 * an API that uses it can sign their own admin token: see `refusePublicSecrets`.
 */
export const DEVELOPMENT_JWT_SECRET = 'local-development-secret-not-for-production';

/** Public too: production refuses it as PAYMENT_TOKEN_KEY (unset, the key is derived from JWT_SECRET). */
export const DEVELOPMENT_PAYMENT_TOKEN_KEY = 'local-development-payment-token-key-not-for-production';

/** Local defaults, so that `npm start` works on a machine prepared by `npm run services:up`. */
const localDefaults = (database: string, queuePrefix: string) => ({
  // This machine only: with the public secret below, the API must not be reachable from others.
  HOST: '127.0.0.1',
  // Development and tests only: production must bring its own secret.
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${database}`,
  DATABASE_REPLICA_URLS: [5433, 5434].map((port) => `postgresql://postgres@127.0.0.1:${port}/${database}`).join(','),
  REDIS_CACHE_URL: 'redis://127.0.0.1:6380',
  REDIS_QUEUE_URL: 'redis://127.0.0.1:6379',
  // The local SMTP sink (`dev/smtp-sink.ts`, started by `npm run dev` and the tests).
  SMTP_URL: 'smtp://127.0.0.1:2525',
  QUEUE_PREFIX: queuePrefix,
  // The API's documentation is served outside production unless turned off.
  DOCS_ENABLED: 'true',
  // No balancer to wait for: a stopped process exits at once (`npm run cluster` sets its own).
  SHUTDOWN_DRAIN_MS: '0',
});

export const LOCAL_DEFAULTS = {
  development: localDefaults('store', '{store-api}'),
  // No reconciliation sweep in test workers unless a test asks (it would settle seeded orders).
  test: { ...localDefaults('store_test', '{store-api-test}'), PAYMENT_RECONCILE_INTERVAL_MS: '0' },
} as const;

/**
 * OpenTelemetry's standard variables, the subset this app reads (the OTLP exporter reads its own
 * `OTEL_EXPORTER_OTLP_*` headers and timeouts). Tracing is on when an OTLP endpoint is set or
 * OTEL_TRACES_EXPORTER=otlp; see docs/tracing.md.
 */
export const tracingFields = z.object({
  OTEL_SDK_DISABLED: bool(false),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  // Unset: store-api for the API, store-worker for the worker.
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .default('parentbased_always_on'),
  // The ratio of the *traceidratio samplers (0..1).
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: 'must be a number' })
    .min(0, { error: 'must be at least 0' })
    .max(1, { error: 'must be at most 1' })
    .default(1),
  // How long finished spans wait to be sent in one batch.
  OTEL_BSP_SCHEDULE_DELAY: int(1, 600_000, 5_000),
});

const appConfigFields = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  // Production listens on every interface; development and test default to 127.0.0.1 (above).
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65_535, 3000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // One JSON line per response (level info); slow requests are warned about either way.
  LOG_REQUESTS: bool(true),
  // Successful cache hits are access-logged one in this many (1: every one); errors, misses and
  // slow requests always are.
  LOG_CACHE_HITS_ONE_IN: int(1, 1_000_000, 100),
  // Development only: human-readable lines (pino-pretty) when true, JSON when false; unset, pretty
  // when stdout is a terminal. Production and test always write JSON lines.
  LOG_PRETTY: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true')),
  DATABASE_URL: postgresUrl,
  DATABASE_REPLICA_URLS: commaList().pipe(z.array(postgresUrl)),
  // Pools, per process: about cores × 2 + 1 (5 on the 2-core machines here), for each role.
  DB_POOL_MAX: int(1, 1_000, 5),
  DB_POOL_MIN: int(0, 1_000, 1),
  DB_POOL_IDLE_TIMEOUT_MS: int(1_000, 3_600_000, 10_000),
  DB_POOL_ACQUIRE_TIMEOUT_MS: int(1, 60_000, 2_000),
  DB_POOL_MAX_LIFETIME_S: int(0, 86_400, 1_800),
  DB_STATEMENT_TIMEOUT_MS: int(0, 3_600_000, 5_000),
  DB_REPLICA_POOL_MAX: int(1, 1_000, 5),
  // Well under DB_REPLICA_MAX_LAG_MS: a replica serves for that long after it was last seen caught up.
  DB_REPLICA_PROBE_INTERVAL_MS: int(50, 60_000, 200),
  DB_REPLICA_PROBE_TIMEOUT_MS: int(10, 60_000, 300),
  DB_REPLICA_MAX_LAG_MS: int(0, 3_600_000, 1_000),
  DB_REPLICA_MAX_LAG_BYTES: int(0, 2 ** 40, 64 * 1024 * 1024),
  DB_REPLICA_REJOIN_AFTER: int(1, 100, 2),
  // 0 logs every query (debugging).
  DB_SLOW_QUERY_MS: int(0, 3_600_000, 200),
  DB_PREPARED_STATEMENTS: bool(true),
  DB_LEAK_WARNING_MS: int(10, 3_600_000, 5_000),
  DB_LAST_WRITE_TTL_MS: int(100, 3_600_000, 30_000),
  CACHE_ENABLED: bool(true),
  CACHE_DEFAULT_TTL_MS: int(1, 86_400_000, 60_000),
  CACHE_GRACE_MS: int(0, 86_400_000, 30_000),
  CACHE_NEGATIVE_TTL_MS: int(1, 3_600_000, 5_000),
  CACHE_L1_MAX_ENTRIES: int(1, 10_000_000, 10_000),
  CACHE_L1_MAX_BYTES: int(1_024, 2 ** 34, 64 * 1024 * 1024),
  CACHE_L1_TTL_MS: int(1, 3_600_000, 10_000),
  CACHE_COMMAND_TIMEOUT_MS: int(1, 60_000, 100),
  CACHE_LOCK_TTL_MS: int(100, 600_000, 10_000),
  CACHE_LOCK_WAIT_MS: int(0, 600_000, 3_000),
  CACHE_FENCE_MS: int(0, 3_600_000, 10_000),
  CACHE_WARM_TOP_PRODUCTS: int(0, 10_000_000, 100),
  // Each Redis role is one server (its URL) or, when seed nodes are given, a Redis Cluster.
  REDIS_CACHE_URL: redisUrl.optional(),
  REDIS_CACHE_CLUSTER_NODES: redisClusterNodes(),
  REDIS_QUEUE_URL: redisUrl.optional(),
  REDIS_QUEUE_CLUSTER_NODES: redisClusterNodes(),
  JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }),
  JWT_TTL_S: int(60, 86_400, 900),
  // Signs the tag inside every API key (a made-up key fails on it with no lookup). Unset: derived
  // from JWT_SECRET, so rotating that one also invalidates every API key.
  API_KEY_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  // How long an instance trusts its in-memory answer for a key: the bound on revocation reaching
  // another instance when the Redis message is lost (normally it arrives within milliseconds).
  API_KEY_CACHE_TTL_MS: int(100, 3_600_000, 10_000),
  PAYMENT_GATEWAY_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('http://127.0.0.1:4010'),
  PAYMENT_TIMEOUT_MS: int(10, 60_000, 2_000),
  PAYMENT_BREAKER_THRESHOLD: int(1, 1_000, 5),
  PAYMENT_BREAKER_HALF_OPEN_MS: int(100, 600_000, 5_000),
  // Seals payment tokens at rest (AES-256-GCM, HKDF-derived). Unset: derived from JWT_SECRET
  // (rotating that one then makes pending orders' tokens unreadable: they settle by lookup).
  PAYMENT_TOKEN_KEY: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  // The worker's sweep of orders stuck in pending/payment_pending: how often (0: never), from what
  // age, how many per pass; past PAYMENT_PENDING_MAX_MS an order the provider never charged fails.
  PAYMENT_RECONCILE_INTERVAL_MS: int(0, 86_400_000, 60_000),
  PAYMENT_RECONCILE_AFTER_MS: int(100, 86_400_000, 900_000),
  PAYMENT_RECONCILE_BATCH: int(1, 10_000, 100),
  PAYMENT_PENDING_MAX_MS: int(1_000, 30 * 86_400_000, 86_400_000),
  CHECKOUT_SAFETY_CHARGE_AFTER_MS: int(1_000, 3_600_000, 30_000),
  // inline: charge during POST /checkout (201/402 at once, 202 if the provider is unavailable);
  // deferred: always 202, the worker charges (checkout latency never includes the provider's).
  CHECKOUT_CHARGE_MODE: z.enum(['inline', 'deferred']).default('inline'),
  // How long a checkout's Idempotency-Key stays locked by its request: a retry meanwhile gets 409;
  // after it, a retry resumes a request that died (crashed instance). Longer than any checkout.
  IDEMPOTENCY_LOCK_MS: int(1_000, 3_600_000, 60_000),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }),
  MAIL_FROM: z.string().min(3).default('Store <orders@store.local>'),
  // How long an emailed token works: verification (sign-up) and password reset (single use either way).
  ACCOUNT_VERIFY_TOKEN_TTL_S: int(60, 30 * 86_400, 86_400),
  ACCOUNT_RESET_TOKEN_TTL_S: int(60, 86_400, 3_600),
  // BullMQ key prefix; in braces so every queue key hashes to one Redis Cluster slot.
  QUEUE_PREFIX: z.string().min(1).default('{store-api}'),
  WORKER_CHARGE_CONCURRENCY: int(1, 1_000, 4),
  WORKER_EMAIL_CONCURRENCY: int(1, 1_000, 8),
  CHARGE_ATTEMPTS: int(1, 100, 8),
  CHARGE_BACKOFF_MS: int(10, 3_600_000, 2_000),
  EMAIL_ATTEMPTS: int(1, 100, 10),
  EMAIL_BACKOFF_MS: int(10, 3_600_000, 5_000),
  QUEUE_LOCK_DURATION_MS: int(500, 600_000, 30_000),
  QUEUE_STALLED_INTERVAL_MS: int(500, 600_000, 30_000),
  QUEUE_MAX_STALLED_COUNT: int(0, 100, 2),
  OUTBOX_RELAY_ENABLED: bool(true),
  OUTBOX_RELAY_INTERVAL_MS: int(10, 60_000, 200),
  WORKER_SHUTDOWN_TIMEOUT_MS: int(100, 600_000, 25_000),
  // The worker's /metrics and /health/live (0 = none).
  WORKER_METRICS_PORT: int(0, 65_535, 9464),
  // Rate limits per client (user, else API key, else IP) and sliding window, shared in Redis.
  RATE_LIMIT_ENABLED: bool(true),
  RATE_LIMIT_WINDOW_MS: int(1_000, 3_600_000, 60_000),
  // A Redis answer later than this counts as "unavailable" (fail-open, or 503 for auth).
  RATE_LIMIT_TIMEOUT_MS: int(10, 10_000, 250),
  RATE_LIMIT_DEFAULT: int(1, 10_000_000, 100),
  RATE_LIMIT_AUTH: int(1, 10_000_000, 5),
  RATE_LIMIT_SEARCH: int(1, 10_000_000, 30),
  // Logins per account (email) per window, whatever IPs or keys they come from.
  RATE_LIMIT_ACCOUNT: int(1, 10_000_000, 10),
  // Requests of a client's budget an instance may take per Redis call and spend locally (0: none).
  RATE_LIMIT_LEASE_MAX: int(0, 10_000, 100),
  // Redis unavailable: let requests through (true) or refuse them; auth refuses by default.
  RATE_LIMIT_FAIL_OPEN: bool(true),
  RATE_LIMIT_AUTH_FAIL_OPEN: bool(false),
  // Which proxies to believe for the client IP (X-Forwarded-For): false, true (any), or IPs/CIDRs.
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | string[] =>
      value === 'true' ? true : value === 'false' ? false : value.split(',').map((part) => part.trim()),
    ),
  HTTP_BODY_LIMIT_BYTES: int(1_024, 100 * 1_048_576, 1_048_576),
  // off: HTTP/1.1. tls: HTTPS with ALPN, h2 or HTTP/1.1 on one port (TLS_CERT_FILE, TLS_KEY_FILE).
  // h2c: cleartext HTTP/2 with prior knowledge only (behind a proxy; HTTP/1.1 clients cannot connect).
  HTTP2: z.enum(['off', 'tls', 'h2c'], { error: 'must be off, tls or h2c' }).default('off'),
  // PEM files, read at boot (HTTP2=tls).
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  // Requests slower than this are logged (with their request id).
  HTTP_SLOW_REQUEST_MS: int(1, 3_600_000, 1_000),
  // Browser origins allowed to call the API (comma-separated); empty: no CORS headers at all.
  CORS_ORIGINS: commaList(),
  // argon2 hashes at once (19 MiB each) and waiting behind them; past that, 503 with Retry-After.
  PASSWORD_HASH_CONCURRENCY: int(1, 64, 2),
  PASSWORD_HASH_QUEUE: int(0, 10_000, 32),
  // Worker threads for CPU-heavy work (the orders export); 0 runs it on the event loop. Leave
  // cores for the event loop, libuv's pool (zlib, argon2) and Postgres: 1 on 2 cores.
  CPU_POOL_THREADS: int(0, 64, 1),
  // An export's pace (rows a second; 0: as fast as it goes): background work leaves the cores to requests.
  EXPORT_ROWS_PER_SECOND: int(0, 10_000_000, 50_000),
  HEALTH_CHECK_TIMEOUT_MS: int(10, 10_000, 300),
  HEALTH_QUEUE_BACKLOG_MAX: int(0, 10_000_000, 1_000),
  // Readiness answers from background probes run this often (a result 3 intervals old counts as down).
  HEALTH_PROBE_INTERVAL_MS: int(50, 60_000, 1_000),
  // On SIGTERM the API reports not-ready and keeps serving this long before it closes, so that a
  // balancer's health checks take it out first (≥ the balancer's check interval × fall).
  SHUTDOWN_DRAIN_MS: int(0, 600_000, 5_000),
  // The internal operations port: /metrics, /health/live, /health/ready with full detail (0 = none).
  OPS_PORT: int(0, 65_535, 9400),
  // Its interface; unset: the same as HOST.
  OPS_HOST: z.string().min(1).optional(),
  // With OPS_PORT=0 only: /metrics on the app port for `Authorization: Bearer <token>` (unset: not at all).
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  // /docs and /docs/json on the app port; defaults to true in development and test (LOCAL_DEFAULTS).
  DOCS_ENABLED: bool(false),
  ...tracingFields.shape,
  ...retentionFields.shape,
});

type AppConfigFields = z.output<typeof appConfigFields>;

const TLS_FILES = [
  ['TLS_CERT_FILE', 'certificate (chain)'],
  ['TLS_KEY_FILE', 'private key'],
] as const;

/**
 * Each Redis role needs its server's URL or its cluster's seed nodes; HTTPS needs its certificate
 * and key; and no public secret may guard an API that others can reach.
 */
export const appConfigSchema = appConfigFields.superRefine(
  (config, context) => {
    for (const role of ['CACHE', 'QUEUE'] as const) {
      if (!config[`REDIS_${role}_URL`] && !config[`REDIS_${role}_CLUSTER_NODES`]?.length)
        context.addIssue({
          code: 'custom',
          path: [`REDIS_${role}_URL`],
          message: `or set REDIS_${role}_CLUSTER_NODES for a Redis Cluster`,
        });
    }
    for (const [key, what] of TLS_FILES)
      if (config.HTTP2 === 'tls' && !config[key])
        context.addIssue({ code: 'custom', path: [key], message: `with HTTP2=tls: the ${what}'s PEM file` });
    refusePublicSecrets(config, context);
    keepDeliveriesPastJobs(config, context);
  },
  // Also when other keys are bad: the one message at boot names every problem at once.
  { when: () => true },
);

/**
 * The development secret is fine for tests and on a laptop that listens on loopback only; a
 * process others can reach (another HOST, or production whatever its HOST: a proxy on the same
 * machine exposes it all the same) would accept tokens anyone can sign.
 */
function refusePublicSecrets(config: Partial<AppConfigFields>, context: z.RefinementCtx): void {
  // Whoever reads a database dump could open every pending token with the public key.
  if (config.PAYMENT_TOKEN_KEY === DEVELOPMENT_PAYMENT_TOKEN_KEY && config.NODE_ENV === 'production')
    context.addIssue({
      code: 'custom',
      path: ['PAYMENT_TOKEN_KEY'],
      message: 'is the public development key; set a key of your own (e.g. `openssl rand -base64 48`) or unset it',
    });
  if (config.JWT_SECRET !== DEVELOPMENT_JWT_SECRET || config.NODE_ENV === 'test') return;
  const exposed = config.NODE_ENV === 'production' || !isLoopback(config.HOST ?? '');
  if (!exposed) return;
  const own = 'set JWT_SECRET to a secret of your own (at least 32 random characters, e.g. `openssl rand -base64 48`)';
  context.addIssue({
    code: 'custom',
    path: ['JWT_SECRET'],
    message:
      config.NODE_ENV === 'production'
        ? `is the public development secret; ${own}`
        : `is the public development secret and HOST=${config.HOST} lets other machines in; ${own}, or HOST=127.0.0.1 to listen on this machine only`,
  });
}

/** 127.0.0.0/8, ::1 and `localhost`: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(bare);
}

export type AppConfigValues = z.output<typeof appConfigSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];

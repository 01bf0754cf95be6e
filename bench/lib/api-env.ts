import { loadAppConfig } from '../../src/config/load-app-config.js';

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret';
/** The bench reads `/metrics` on the app port with this token (no operations port: no port to clash). */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** Production-mode settings for an API process under benchmark, on the local services. */
export function apiEnv(
  database: { url: string; replicaUrls: string[] } | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  const config = loadAppConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' });
  return {
    NODE_ENV: 'production',
    DATABASE_URL: database?.url ?? config.DATABASE_URL,
    DATABASE_REPLICA_URLS: (database?.replicaUrls ?? config.DATABASE_REPLICA_URLS).join(','),
    REDIS_CACHE_URL: config.REDIS_CACHE_URL ?? '',
    REDIS_CACHE_CLUSTER_NODES: config.REDIS_CACHE_CLUSTER_NODES.join(','),
    REDIS_QUEUE_URL: config.REDIS_QUEUE_URL ?? '',
    REDIS_QUEUE_CLUSTER_NODES: config.REDIS_QUEUE_CLUSTER_NODES.join(','),
    SMTP_URL: config.SMTP_URL,
    JWT_SECRET: BENCH_JWT_SECRET,
    // One load generator is one client: limits on, but out of reach (their cost is measured, not their refusals).
    RATE_LIMIT_DEFAULT: '10000000',
    RATE_LIMIT_AUTH: '10000000',
    RATE_LIMIT_ACCOUNT: '10000000',
    RATE_LIMIT_SEARCH: '10000000',
    OPS_PORT: '0',
    METRICS_TOKEN: BENCH_METRICS_TOKEN,
    // No payment sweep: its job scheduler keeps a delayed job on the charges queue for good (the
    // benches wait for that queue to empty), and it would give up the seeded pending orders mid-run.
    PAYMENT_RECONCILE_INTERVAL_MS: '0',
    // Production's default level: the access log is on, and its cost is in every number.
    LOG_LEVEL: 'info',
    ...extra,
  };
}

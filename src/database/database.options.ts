import type { RedisConnectionOptions } from '../common/redis/index.js';

/** Pool settings for one role (primary or replicas). */
export interface PoolOptions {
  /**
   * Connections per process. Rule of thumb: cores × 2 + 1, divided by how many processes share
   * the database's connection budget.
   * @default 5
   */
  max?: number;
  /** Idle connections kept open (and opened at start). @default 1 */
  min?: number;
  /** Close idle connections after this long. @default 10_000 */
  idleTimeoutMillis?: number;
  /** How long a query may wait for a free connection (0 would wait forever). @default 2_000 */
  connectionTimeoutMillis?: number;
  /** Recycle connections after this many seconds (0 = never). @default 1_800 */
  maxLifetimeSeconds?: number;
  /** Server-side `statement_timeout`. @default 5_000 */
  statementTimeoutMillis?: number;
}

export interface ReplicaRoutingOptions {
  /**
   * How often the primary's position and each replica's are read (one query each). Keep it well
   * under `maxLagMs` (3 times at least), or healthy replicas drop out between probes. @default 200
   */
  probeIntervalMs?: number;
  /** A probe slower than this fails. @default 300 */
  probeTimeoutMs?: number;
  /**
   * Reads routed to a replica without a token miss no write acknowledged longer ago than this: a
   * replica serves until this long after the primary position it last replayed was read. @default 1_000
   */
  maxLagMs?: number;
  /** A replica further behind than this many WAL bytes leaves the rotation. @default 64 MiB */
  maxLagBytes?: number;
  /** Good probes in a row before a replica rejoins. @default 2 */
  rejoinAfter?: number;
  /** A replica whose probe or query latency is this many times its peers' (and above 20 ms) counts as unhealthy. @default 4 */
  slowFactor?: number;
}

/** Options of {@link DatabaseModule}. */
export interface DatabaseModuleOptions {
  /** Connection URL of the primary (writes, transactions, strong reads). */
  primaryUrl: string;
  /** Connection URLs of the read replicas; may be empty. */
  replicaUrls: string[];
  /** `application_name` prefix (the app's name): `<prefix>:primary`, `<prefix>:replica-1`, `<prefix>:replica-probe`. */
  applicationName: string;
  primaryPool?: PoolOptions;
  replicaPool?: PoolOptions;
  routing?: ReplicaRoutingOptions;
  /** Queries slower than this are logged with their SQL (parameters never). @default 200 */
  slowQueryMs?: number;
  /**
   * Named (server-side prepared) statements: each SQL text is parsed and planned once per
   * connection. Turn off behind a pooler that cannot keep them (PgBouncer before 1.21, or with
   * `max_prepared_statements = 0`, in transaction mode). @default true
   */
  preparedStatements?: boolean;
  /** A connection held longer than this is reported with the stack that took it. @default 5_000 */
  leakWarningMs?: number;
  /**
   * Redis (one server or a cluster) for the per-user "last write" positions (read-your-writes for
   * clients that ignore the consistency token). Without it, only the header token and in-request
   * tracking apply.
   */
  lastWriteStore?: RedisConnectionOptions;
  /** How long a user's last write position is kept. @default 30_000 */
  lastWriteTtlMs?: number;
  /**
   * Key that signs consistency tokens (HMAC-SHA256), the same on every instance; derive it from an
   * application secret. @default a random key per process (tokens then count only where issued)
   */
  consistencyTokenKey?: string | Buffer;
}

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { withDeadline } from '../deadline.js';

/** Where a Redis role lives: one server (a URL), or a Redis Cluster found from a few seed nodes. */
export type RedisConnectionOptions = { url: string } | { clusterNodes: readonly string[] };

/** A client of either kind; commands on single keys (or keys in one hash slot) work the same on both. */
export type RedisClient = Redis | Cluster;

/**
 * What a user of Redis tunes, in ioredis' own terms; on a cluster they apply to every node's
 * connection, and `retryStrategy` also to rediscovering the cluster. No `commandTimeout`: bound
 * calls with `withDeadline`, which survives a CPU stall.
 */
export type RedisClientOptions = Pick<
  RedisOptions,
  'enableOfflineQueue' | 'connectTimeout' | 'maxRetriesPerRequest' | 'retryStrategy' | 'lazyConnect' | 'connectionName'
>;

/**
 * For callers that want an answer or a refusal at once, never a queue: no offline queue, no
 * retries of a command, a 1 s connect, reconnecting every ≤ 1 s. Bound each call with `withDeadline`.
 */
export const FAIL_FAST: Readonly<RedisClientOptions> = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 1_000,
  retryStrategy: (times: number) => Math.min(times * 100, 1_000),
});

/**
 * A client for `connection`: `Redis` for a URL, `Cluster` for seed nodes (`redis://host:port`; the
 * first seed's credentials and TLS apply to every node, as a cluster shares them).
 */
export function createRedisClient(connection: RedisConnectionOptions, options: RedisClientOptions = {}): RedisClient {
  if ('url' in connection) return new Redis(connection.url, options);
  const { enableOfflineQueue, retryStrategy, lazyConnect, ...perNode } = options;
  const seeds = connection.clusterNodes.map((node) => new URL(node));
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue,
    lazyConnect,
    redisOptions: { ...perNode, ...credentialsOf(seeds[0]) },
    ...(retryStrategy && { clusterRetryStrategy: retryStrategy, clusterNodeRetryStrategy: retryStrategy }),
    // Without an offline queue the caller wants an answer or a refusal at once: a node that is
    // down or a cluster that is failing over must not hold a command for ioredis' retries
    // (16 × 100 ms by default), which a command timeout does not bound.
    ...(enableOfflineQueue === false && { retryDelayOnFailover: 0, retryDelayOnClusterDown: 0 }),
  };
  const cluster = new Cluster(
    seeds.map((seed) => ({ host: seed.hostname, port: Number(seed.port || 6379) })),
    clusterOptions,
  );
  // ioredis opens a node's connection on its first command, and without an offline queue it
  // refuses the commands that arrive while that connection is opening: open them all up front.
  if (enableOfflineQueue === false)
    cluster.on('ready', () => {
      for (const node of cluster.nodes('master')) if (node.status === 'wait') node.connect().catch(() => undefined);
    });
  return cluster;
}

/** A Lua script to define as a command on a client. */
export interface RedisScript {
  lua: string;
  /** Keys the script takes first; without it, the caller passes the count as the first argument. */
  numberOfKeys?: number;
}

/**
 * A `FAIL_FAST` client: connection errors go to `onError` (by default nowhere: callers count
 * failures per command, and the connection retries by itself), `scripts` are defined as commands
 * of the same names, `overrides` change single options. Bound each call with `withDeadline`.
 */
export function createFailFastClient<C extends RedisClient = RedisClient>(
  connection: RedisConnectionOptions,
  {
    onError = () => undefined,
    scripts = {},
    overrides = {},
  }: { onError?: (error: Error) => void; scripts?: Record<string, RedisScript>; overrides?: RedisClientOptions } = {},
): C {
  const client = createRedisClient(connection, { ...FAIL_FAST, ...overrides });
  client.on('error', onError);
  for (const [name, script] of Object.entries(scripts)) client.defineCommand(name, script);
  return client as C;
}

/**
 * A client for SUBSCRIBE: it waits for its connection however long it takes (a subscription must
 * come back after an outage), reconnecting every ≤ 1 s; errors are ignored (the owner resyncs on
 * its 'ready' event).
 */
export function createSubscriberClient(connection: RedisConnectionOptions): RedisClient {
  const client = createRedisClient(connection, {
    connectTimeout: FAIL_FAST.connectTimeout,
    maxRetriesPerRequest: null,
    retryStrategy: FAIL_FAST.retryStrategy,
  });
  client.on('error', () => undefined);
  return client;
}

/**
 * Waits (bounded) until the client can take commands: connected, and on a cluster with every
 * master's connection open. False after `timeoutMs`; a Redis that is down must not block a start.
 */
export async function whenReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  const ready = (async () => {
    await readyEvent(client);
    if (isCluster(client)) await Promise.all(client.nodes('master').map(readyEvent));
    return true;
  })();
  return withDeadline(ready, timeoutMs).catch(() => false);
}

function readyEvent(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'wait') client.connect().catch(() => undefined);
  return new Promise((resolve) => client.once('ready', resolve));
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** The servers that hold keys: each master of a cluster (SCAN runs per node there), or the one server. */
export function masterNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

function credentialsOf(seed: URL): Partial<RedisOptions> {
  return {
    ...(seed.username && { username: decodeURIComponent(seed.username) }),
    ...(seed.password && { password: decodeURIComponent(seed.password) }),
    ...(seed.protocol === 'rediss:' && { tls: {} }),
  };
}

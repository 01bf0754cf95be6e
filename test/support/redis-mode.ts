import {
  createRedisClient,
  keySlot,
  masterNodes,
  type RedisClient,
  type RedisConnectionOptions,
  whenReady,
} from '../../src/common/redis/index.js';
import type { Redis } from 'ioredis';
import { redisConnection } from '../../src/config/redis-connection.js';
import { testConfig } from './test-app.js';

/**
 * The Redis topologies the cache, rate-limit and queue suites run on: the single servers of
 * `services:up` (cache 6380, queue 6379), and its 3-master Redis Cluster (7001-7003), which
 * then holds both roles.
 */
export const REDIS_MODES = ['single', 'cluster'] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

const CLUSTER_NODES = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'];

/** Configuration overrides that put both Redis roles on the cluster (none for `single`). */
export function redisEnv(mode: RedisMode): Record<string, string> {
  if (mode === 'single') return {};
  const nodes = CLUSTER_NODES.join(',');
  return { REDIS_CACHE_CLUSTER_NODES: nodes, REDIS_QUEUE_CLUSTER_NODES: nodes };
}

/** The cache role's connection in a mode, for code under test built by hand. */
export function cacheRedis(mode: RedisMode): RedisConnectionOptions {
  return redisConnection(testConfig(redisEnv(mode)), 'cache');
}

/** A plain client on a role, for assertions about what landed in Redis. */
export function inspectRedis(mode: RedisMode, role: 'cache' | 'queue'): RedisClient {
  return createRedisClient(redisConnection(testConfig(redisEnv(mode)), role));
}

/** The servers that hold keys (each master of a cluster), once the client knows them. */
export async function mastersOf(client: RedisClient): Promise<Redis[]> {
  expect(await whenReady(client, 5_000), 'Redis to be ready').toBe(true);
  return masterNodes(client);
}

/** Keys matching `pattern`, per server that holds keys (each master of a cluster), by SCAN. */
export async function keysPerNode(client: RedisClient, pattern: string): Promise<string[][]> {
  return Promise.all(
    (await mastersOf(client)).map(async (node) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, page] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
        cursor = next;
        keys.push(...page);
      } while (cursor !== '0');
      return keys;
    }),
  );
}

/** The distinct hash slots of some keys, as the cluster itself computes them (CLUSTER KEYSLOT). */
export async function slotsOf(client: RedisClient, keys: string[]): Promise<Set<number>> {
  const slots = await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key) as Promise<number>));
  slots.forEach((slot, index) => expect(slot, `our slot of ${keys[index]}`).toBe(keySlot(keys[index])));
  return new Set(slots);
}

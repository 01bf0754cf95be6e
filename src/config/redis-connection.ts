import type { RedisConnectionOptions } from '../common/redis/index.js';
import type { AppConfigValues } from './app-config.schema.js';

/** A Redis role's connection: its cluster when seed nodes are configured, else its one server. */
export function redisConnection(config: AppConfigValues, role: 'cache' | 'queue'): RedisConnectionOptions {
  const [url, clusterNodes] =
    role === 'cache'
      ? [config.REDIS_CACHE_URL, config.REDIS_CACHE_CLUSTER_NODES]
      : [config.REDIS_QUEUE_URL, config.REDIS_QUEUE_CLUSTER_NODES];
  if (clusterNodes.length) return { clusterNodes };
  // The schema requires one of the two.
  return { url: url! };
}

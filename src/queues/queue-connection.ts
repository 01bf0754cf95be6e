import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import { createRedisClient } from '../common/redis/index.js';
import { redisConnection, type AppConfigValues } from '../config/index.js';

/**
 * BullMQ's `connection` to the queue Redis. One server: its URL, and BullMQ opens and closes its
 * own connections. A cluster: an ioredis `Cluster` (each queue's keys share one slot through
 * QUEUE_PREFIX's hash tag), which BullMQ duplicates for blocking commands but never closes: its
 * user does, after the queue or worker (`releaseQueueConnection`).
 */
export function queueConnection(config: AppConfigValues): ConnectionOptions {
  const connection = redisConnection(config, 'queue');
  if ('url' in connection) return { url: connection.url };
  // As BullMQ requires of its own connections: commands wait out a reconnect instead of failing.
  return createRedisClient(connection, { maxRetriesPerRequest: null });
}

/** Disconnects what `queueConnection` gave, once its queue or worker is closed (BullMQ closed the rest). */
export function releaseQueueConnection(connection: ConnectionOptions): void {
  if (connection instanceof Cluster) connection.disconnect();
}

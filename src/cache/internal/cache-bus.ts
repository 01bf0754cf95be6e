import { Logger } from '@nestjs/common';
import type { Invalidation } from './invalidation.js';
import { createSubscriberClient, type RedisClient, type RedisConnectionOptions } from '../../common/redis/index.js';

/** What instances tell each other: invalidations (so L1 copies stay true), and fills (waiters look again). */
export type BusMessage = Invalidation | { type: 'filled'; key: string };

/**
 * Redis pub/sub between instances. Each instance ignores its own messages. Whenever the
 * subscription becomes ready (after an outage, and also the first time: entries cached before
 * it were not covered by it), `onResync` runs: messages may have been missed, so L1 is cleared.
 */
export class CacheBus {
  private readonly subscriber: RedisClient;
  private readonly logger = new Logger('Cache:bus');
  private connectedBefore = false;

  constructor(
    connection: RedisConnectionOptions,
    private readonly channel: string,
    private readonly instanceId: string,
    onMessage: (message: BusMessage) => void,
    onResync: () => void,
  ) {
    // On a cluster, ioredis subscribes on one node; Redis Cluster forwards every PUBLISH to all nodes.
    this.subscriber = createSubscriberClient(connection);
    this.subscriber.on('ready', () => {
      if (this.connectedBefore) this.logger.warn('bus reconnected: clearing L1 (invalidations may have been missed)');
      this.connectedBefore = true;
      onResync();
    });
    void this.subscriber.subscribe(channel).catch(() => undefined);
    this.subscriber.on('message', (_channel, raw: string) => {
      try {
        const { from, ...message } = JSON.parse(raw) as BusMessage & { from: string };
        if (from !== this.instanceId) onMessage(message as BusMessage);
      } catch {
        // a foreign message on our channel: ignore
      }
    });
  }

  encode(message: BusMessage): string {
    return JSON.stringify({ from: this.instanceId, ...message });
  }

  get channelName(): string {
    return this.channel;
  }

  close(): void {
    this.subscriber.disconnect();
  }
}

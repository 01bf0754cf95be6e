import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  createFailFastClient,
  createSubscriberClient,
  whenReady,
  withDeadline,
  type RedisClient,
  type RedisConnectionOptions,
} from '../../common/redis/index.js';

export interface RevocationHandlers {
  /** Another instance revoked key `id`. */
  onRevoked(id: number): void;
  /** The subscription (re)started: messages may have been missed, forget what is cached. */
  onResync(): void;
}

/**
 * Tells every instance that a key was revoked, over Redis pub/sub (the cache role). Best effort:
 * a lost message only means the other instances notice within their cache TTL.
 */
export class RevocationBus {
  private readonly logger = new Logger('ApiKeys:bus');
  private readonly instanceId = randomUUID();
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly subscribed: Promise<unknown>;

  constructor(
    connection: RedisConnectionOptions,
    private readonly channel: string,
    handlers: RevocationHandlers,
  ) {
    // No offline queue: a publish while Redis is away fails at once rather than later. ioredis'
    // retries per command stay (with none, a Redis restart surfaced an unhandled "Connection is
    // closed." rejection from this client).
    this.publisher = createFailFastClient(connection, { overrides: { maxRetriesPerRequest: undefined } });
    this.subscriber = createSubscriberClient(connection);
    this.subscriber.on('ready', () => handlers.onResync());
    this.subscribed = this.subscriber.subscribe(channel).catch(() => undefined);
    this.subscriber.on('message', (_channel: string, raw: string) => {
      try {
        const message = JSON.parse(raw) as { from?: string; type?: string; id?: unknown };
        if (message.from !== this.instanceId && message.type === 'revoked' && Number.isSafeInteger(message.id))
          handlers.onRevoked(message.id as number);
      } catch {
        // not ours: ignore
      }
    });
  }

  /** Waits (bounded) for both connections: a revocation right after start-up (the CLI) is then sent. */
  async ready(timeoutMs = 1_000): Promise<void> {
    await Promise.all([
      whenReady(this.publisher, timeoutMs),
      withDeadline(this.subscribed, timeoutMs).catch(() => undefined),
    ]);
  }

  async publishRevoked(id: number): Promise<void> {
    try {
      await withDeadline(
        this.publisher.publish(this.channel, JSON.stringify({ from: this.instanceId, type: 'revoked', id })),
        500,
      );
    } catch (error) {
      this.logger.warn(
        `could not announce the revocation of API key ${id} (${(error as Error).message}): ` +
          'other instances drop it when their cached answer expires',
      );
    }
  }

  close(): void {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

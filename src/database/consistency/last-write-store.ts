import { Logger } from '@nestjs/common';
import {
  createFailFastClient,
  whenReady,
  withDeadline,
  type RedisClient,
  type RedisConnectionOptions,
} from '../../common/redis/index.js';
import { LAST_WRITE_KEY_PREFIX } from '../database.constants.js';

/** How long a lookup may take; past it the request goes on without the position. */
const DEADLINE_MS = 50;

/**
 * Each user's last write position in Redis, so a client that ignores the consistency token still
 * reads its own writes on any instance. Best effort: a slow or absent Redis means "no position"
 * (the header token and in-request tracking still apply), never a failed request.
 */
export class LastWriteStore {
  private readonly logger = new Logger('Database:last-write');
  private readonly redis: RedisClient | undefined;
  private warned = false;

  constructor(
    connection: RedisConnectionOptions | undefined,
    private readonly ttlMs: number,
  ) {
    this.redis = connection
      ? createFailFastClient(connection, { onError: (error) => this.warnOnce(error) })
      : undefined;
  }

  /** Waits (bounded) for the connection: commands sent before it are refused, not queued. */
  async ready(timeoutMs = 1_000): Promise<void> {
    if (this.redis) await whenReady(this.redis, timeoutMs);
  }

  async get(userId: string): Promise<string | null> {
    if (!this.redis) return null;
    // A deadline, not ioredis' `commandTimeout`: after a CPU stall that one fails every lookup in
    // flight, and those users' reads could go to a replica behind their own writes.
    return withDeadline(this.redis.get(LAST_WRITE_KEY_PREFIX + userId), DEADLINE_MS).catch((error: Error) => {
      this.warnOnce(error);
      return null;
    });
  }

  async set(userId: string, lsn: string): Promise<void> {
    if (!this.redis) return;
    await withDeadline(this.redis.set(LAST_WRITE_KEY_PREFIX + userId, lsn, 'PX', this.ttlMs), DEADLINE_MS).catch(
      (error: Error) => this.warnOnce(error),
    );
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
  }

  private warnOnce(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(`last-write positions unavailable (${error.message}); reads fall back to tokens only`);
  }
}

import diagnostics from 'node:diagnostics_channel';
import type { Db } from '../../src/database/index.js';

type RedisCommand = { command: string; args: string[] };

/**
 * What a piece of work costs at the wire, counted over the time it runs: statements sent per
 * database pool (the pools' own counter, `db_round_trips_total`) and the Redis commands written
 * by any client of this process, in order (ioredis' `ioredis:command` tracing channel), each as its
 * name and first argument. Everything in that window counts, so run the app without background
 * work (a long HEALTH_PROBE_INTERVAL_MS, rate limits off) and one piece of work at a time. (Async
 * context cannot tell a request's calls apart: Fastify's `inject` does not carry the caller's.)
 */
export class WireCounts {
  private recording?: RedisCommand[];
  private readonly channel = diagnostics.tracingChannel<object, RedisCommand>('ioredis:command');
  private readonly handlers = {
    start: ({ command, args }: RedisCommand) => this.recording?.push({ command, args }),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: () => undefined,
    error: () => undefined,
  };

  /** `db`: whose pools to count (none: Redis only). */
  constructor(private readonly db?: Db) {
    this.channel.subscribe(this.handlers);
  }

  async measure<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; roundTrips: Record<string, number>; redis: string[] }> {
    if (this.recording) throw new Error('one measure() at a time');
    const before = { ...this.db?.stats.roundTrips };
    this.recording = [];
    try {
      const result = await work();
      const roundTrips = Object.fromEntries(
        Object.entries(this.db?.stats.roundTrips ?? {})
          .map(([pool, count]) => [pool, count - (before[pool] ?? 0)])
          .filter(([, count]) => count !== 0),
      );
      return {
        result,
        roundTrips,
        // `set db:last-write:user:1`; scripts by their command alone (the first argument is the script).
        redis: this.recording.map(({ command, args }) =>
          command.startsWith('eval') ? command : `${command} ${args[0]}`,
        ),
      };
    } finally {
      this.recording = undefined;
    }
  }

  close(): void {
    this.channel.unsubscribe(this.handlers);
  }
}

import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';

/** The tables the worker prunes. */
export const PRUNED_TABLES = ['idempotency_keys', 'outbox_events', 'email_deliveries'] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/**
 * Deletes of rows past their retention window, one bounded batch per statement: the rows are
 * picked oldest first through an index, locked with SKIP LOCKED (a row a request or the relay holds
 * right now waits for the next pass), and deleted by their `ctid` — each statement short, its locks
 * few, whatever the backlog. A row locked by the statement cannot move before its delete; by
 * `ctid` (a Tid Scan) a batch of 1,000 keys took 12–18 ms, by primary key (1,000 lookups of
 * `(user_id, key)`) 120–280 ms.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly db: Db) {}

  /** Deletes at most `limit` rows of `table` older than `windowS`; returns how many it deleted. */
  pruneBatch(table: PrunedTable, windowS: number, limit: number): Promise<number> {
    switch (table) {
      case 'idempotency_keys':
        return this.idempotencyKeys(windowS, limit);
      // An unsent event is work still to do, an unsent email's record evidence of a failure: never.
      case 'outbox_events':
      case 'email_deliveries':
        return this.sentBefore(table, windowS, limit);
    }
  }

  /**
   * Keys first used longer ago than the window (Stripe's: after it a key is new again), except
   * those still `in_progress`: never while their request holds the lock, and after a crash only a
   * whole window after the lock lapsed (until then a retry can still resume the order it placed).
   */
  private idempotencyKeys(windowS: number, limit: number): Promise<number> {
    return this.db.primary.$executeRaw`
      DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM idempotency_keys
        WHERE created_at < now() - make_interval(secs => ${windowS})
          AND (status = 'completed' OR locked_until < now() - make_interval(secs => ${windowS}))
        ORDER BY created_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED))`;
  }

  /** Rows sent (`sent_at`) longer ago than the window. */
  private sentBefore(table: 'outbox_events' | 'email_deliveries', windowS: number, limit: number): Promise<number> {
    const name = Prisma.raw(table);
    return this.db.primary.$executeRaw`
      DELETE FROM ${name} WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM ${name}
        WHERE sent_at < now() - make_interval(secs => ${windowS})
        ORDER BY sent_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED))`;
  }
}

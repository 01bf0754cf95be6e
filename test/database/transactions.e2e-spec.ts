import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { toProblemDetails } from '../../src/common/http/problem-details.filter.js';
import type { Db } from '../../src/database/index.js';
import { createDatabaseFixture } from './fixture-app.js';

describe('DatabaseModule transactions, timeouts and leak watch', () => {
  let app: NestFastifyApplication;
  let db: Db;

  beforeAll(async () => {
    ({ app, db } = await createDatabaseFixture({
      primaryPool: { statementTimeoutMillis: 300 },
      leakWarningMs: 200,
    }));
    await db.primary.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS db_fixture_accounts (id int PRIMARY KEY, balance int NOT NULL)',
    );
    await db.primary.$executeRawUnsafe('TRUNCATE db_fixture_accounts');
    await db.primary.$executeRawUnsafe('INSERT INTO db_fixture_accounts VALUES (1, 100), (2, 100)');
  });

  afterAll(async () => {
    await db?.primary.$executeRawUnsafe('DROP TABLE IF EXISTS db_fixture_accounts');
    await app?.close();
  });

  it('leaves nothing behind when a transaction throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.$executeRawUnsafe('UPDATE db_fixture_accounts SET balance = 0 WHERE id = 1');
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const [row] = await db.primary.$queryRawUnsafe<{ balance: number }[]>(
      'SELECT balance FROM db_fixture_accounts WHERE id = 1',
    );
    expect(row.balance).toBe(100);
  });

  it('retries a serialization failure and succeeds', async () => {
    // Write skew: both read the sum, then each withdraws from a different row. Serializable
    // isolation lets only one commit; the other gets 40001 and must run again.
    let attempts = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    let readers = 0;
    const withdraw = (id: number) =>
      db.transaction(
        async (tx) => {
          attempts++;
          const [{ total }] = await tx.$queryRawUnsafe<{ total: number }[]>(
            'SELECT sum(balance)::int AS total FROM db_fixture_accounts',
          );
          if (++readers === 2) bothRead();
          await Promise.race([barrier, new Promise((resolve) => setTimeout(resolve, 500))]);
          if (total >= 50)
            await tx.$executeRawUnsafe('UPDATE db_fixture_accounts SET balance = balance - 50 WHERE id = $1', id);
        },
        { isolationLevel: 'Serializable', maxAttempts: 5 },
      );
    await Promise.all([withdraw(1), withdraw(2)]);
    expect(attempts).toBeGreaterThanOrEqual(3);
    const rows = await db.primary.$queryRawUnsafe<{ balance: number }[]>(
      'SELECT balance FROM db_fixture_accounts ORDER BY id',
    );
    expect(rows.map((row) => row.balance)).toEqual([50, 50]);
  });

  it('gives up after maxAttempts', async () => {
    let attempts = 0;
    await expect(
      db.transaction(
        async () => {
          attempts++;
          throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
        },
        { maxAttempts: 2 },
      ),
    ).rejects.toThrow(/serialize/);
    expect(attempts).toBe(2);
  });

  it('kills a query beyond statement_timeout with a clear 503 error', async () => {
    const started = Date.now();
    const error = await db.primary.$queryRaw`SELECT pg_sleep(2)`.catch((caught: unknown) => caught);
    expect(toProblemDetails(error)).toMatchObject({
      status: 503,
      detail: 'The database did not answer in time (statement timeout).',
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reports a connection held past the threshold, with the stack that took it', async () => {
    const before = db.snapshot().leaksReported.primary;
    let heldDuring = 0;
    await db.primary.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      await new Promise((resolve) => setTimeout(resolve, 450));
      heldDuring = db.snapshot().pools[0].heldTooLong;
    });
    expect(heldDuring).toBe(1);
    expect(db.snapshot().leaksReported.primary).toBe(before + 1);
    expect(db.snapshot().pools[0].heldTooLong).toBe(0);
  });

  it('counts statements (wire round trips) by pool and kind, BEGIN and COMMIT included', () => {
    const count = (operation: string) =>
      db.snapshot().queries.find((row) => row.pool === 'primary' && row.operation === operation)?.count ?? 0;
    expect(count('select')).toBeGreaterThan(0);
    expect(count('update')).toBeGreaterThan(0);
    expect(count('begin')).toBeGreaterThan(0);
    expect(count('commit') + count('rollback')).toBe(count('begin'));
  });
});

import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { testConfig } from '../../../test/support/test-app.js';
import { ContextKeepingPool, observedClientClass } from './observed-client.js';

describe('observed pool (real Postgres)', () => {
  const request = new AsyncLocalStorage<string>();

  /** Two requests on a one-connection pool: the second waits for the first's connection. */
  async function queryOwners(Pool: typeof pg.Pool): Promise<Record<string, string | undefined>> {
    const owners: Record<string, string | undefined> = {};
    const pool = new Pool({
      connectionString: testConfig().DATABASE_URL,
      max: 1,
      Client: observedClientClass(({ sql }) => (owners[sql] = request.getStore())),
    });
    try {
      await Promise.all([
        request.run('first', () => pool.query("SELECT 'first', pg_sleep(0.05)")),
        request.run('second', () => pool.query("SELECT 'second'")),
      ]);
    } finally {
      await pool.end();
    }
    return owners;
  }

  it("times each query in its caller's async context, also after waiting for a busy pool", async () => {
    expect(await queryOwners(ContextKeepingPool)).toEqual({
      "SELECT 'first', pg_sleep(0.05)": 'first',
      "SELECT 'second'": 'second',
    });
  });

  it('(why) a plain pg.Pool runs the waiting query in the releasing caller’s context', async () => {
    expect((await queryOwners(pg.Pool))["SELECT 'second'"]).toBe('first');
  });
});

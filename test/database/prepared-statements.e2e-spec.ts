import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Db } from '../../src/database/index.js';
import { createDatabaseFixture } from './fixture-app.js';

/** One connection on the primary: what the session prepared is visible to the next statement. */
async function preparedOn(db: Db): Promise<string[]> {
  const rows = await db.primary.$queryRaw<{ statement: string }[]>`SELECT statement FROM pg_prepared_statements`;
  return rows.map((row) => row.statement);
}

describe.each([true, false])('named statements (preparedStatements: %s), real Postgres', (prepared) => {
  let app: NestFastifyApplication;
  let db: Db;

  beforeAll(async () => {
    ({ app, db } = await createDatabaseFixture({
      replicaUrls: [],
      primaryPool: { max: 1, min: 1 },
      preparedStatements: prepared,
    }));
  });

  afterAll(() => app?.close());

  it(prepared ? 'parses a statement once per connection and reuses it' : 'leaves every statement unnamed', async () => {
    for (const id of [1, 2, 3]) await db.primary.$queryRaw`SELECT ${id}::int AS probe_of_named_statements`;
    const statements = (await preparedOn(db)).filter((sql) => sql.includes('probe_of_named_statements'));
    expect(statements).toHaveLength(prepared ? 1 : 0);
  });
});

import pg from 'pg';
import { testConfig } from './test-app.js';

/** A plain pg client on the test database (or another URL), for assertions outside the app. */
export async function connect(url = testConfig().DATABASE_URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'store-api:test' });
  await client.connect();
  return client;
}

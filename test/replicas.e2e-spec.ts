import type pg from 'pg';
import { connect } from './support/sql.js';
import { testConfig } from './support/test-app.js';

describe('streaming replicas (services:up)', () => {
  const { DATABASE_URL, DATABASE_REPLICA_URLS } = testConfig();
  let primary: pg.Client;
  let replicas: pg.Client[];

  beforeAll(async () => {
    primary = await connect(DATABASE_URL);
    replicas = await Promise.all(DATABASE_REPLICA_URLS.map((url) => connect(url)));
  });

  afterAll(async () => {
    await Promise.all([primary, ...(replicas ?? [])].map((client) => client?.end()));
  });

  it('has two replicas, each a different server in recovery', async () => {
    expect(DATABASE_REPLICA_URLS).toHaveLength(2);
    const ports = new Set<number>();
    for (const replica of replicas) {
      const { rows } = await replica.query(
        `SELECT pg_is_in_recovery() AS recovery, current_setting('port')::int AS port`,
      );
      expect(rows[0].recovery).toBe(true);
      ports.add(rows[0].port);
    }
    const { rows } = await primary.query(
      `SELECT pg_is_in_recovery() AS recovery, current_setting('port')::int AS port`,
    );
    expect(rows[0].recovery).toBe(false);
    expect(ports.size).toBe(2);
    expect(ports.has(rows[0].port)).toBe(false);
  });

  it('streams from the primary', async () => {
    const { rows } = await primary.query(
      `SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'`,
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
  });

  it('receives a row written on the primary', async () => {
    const name = `replication-probe-${process.pid}-${Date.now()}`;
    await primary.query('INSERT INTO categories (name, slug) VALUES ($1, $1)', [name]);
    try {
      for (const replica of replicas) {
        const deadline = Date.now() + 5_000;
        let found = 0;
        while (found === 0 && Date.now() < deadline) {
          found = (await replica.query('SELECT 1 FROM categories WHERE name = $1', [name])).rowCount ?? 0;
          if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(found, 'the row reached the replica within 5 s').toBe(1);
      }
    } finally {
      await primary.query('DELETE FROM categories WHERE name = $1', [name]);
    }
  });

  it('refuses writes on a replica', async () => {
    await expect(replicas[0].query(`INSERT INTO categories (name, slug) VALUES ('x', 'x')`)).rejects.toThrow(
      /read-only/,
    );
  });
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Db } from '../../src/database/index.js';
import { startReplica, stopReplica } from '../support/replicas.js';
import { waitFor } from '../support/wait-for.js';
import { createDatabaseFixture } from './fixture-app.js';

describe('DatabaseModule routing (real primary + 2 streaming replicas)', () => {
  let app: NestFastifyApplication;
  let db: Db;

  beforeAll(async () => {
    ({ app, db } = await createDatabaseFixture());
  });

  afterAll(async () => {
    startReplica(1);
    startReplica(2);
    await app?.close();
  });

  const portsOf = async (reads: number) => {
    const ports: number[] = [];
    for (let i = 0; i < reads; i++) {
      const [row] = await db.reader().$queryRaw<{ port: number; recovery: boolean }[]>`
        SELECT current_setting('port')::int AS port, pg_is_in_recovery() AS recovery`;
      expect(row.recovery).toBe(true);
      ports.push(row.port);
    }
    return ports;
  };

  it('lands reads on replicas, spread across both', async () => {
    const ports = await portsOf(20);
    expect(new Set(ports)).toEqual(new Set([5433, 5434]));
    expect(ports.filter((port) => port === 5433).length).toBe(10);
  });

  it('opens pools with role names and warm connections', async () => {
    const rows = await db.primary.$queryRaw<{ name: string }[]>`
      SELECT application_name AS name FROM pg_stat_activity WHERE application_name LIKE 'store-api:%'`;
    expect(rows.map((row) => row.name)).toContain('store-api:primary');
    const snapshot = db.snapshot();
    expect(snapshot.pools.map((pool) => pool.name)).toEqual(['primary', 'replica-1', 'replica-2']);
    for (const pool of snapshot.pools) expect(pool.total).toBeGreaterThanOrEqual(1);
    const [replicaSession] = await db.reader().$queryRaw<{ name: string; readOnly: string }[]>`
      SELECT current_setting('application_name') AS name, current_setting('default_transaction_read_only') AS "readOnly"`;
    expect(replicaSession.name).toMatch(/^store-api:replica-[12]$/);
    expect(replicaSession.readOnly).toBe('on');
  });

  it('fails a write sent to a replica at once', async () => {
    await expect(db.reader().$executeRaw`CREATE TABLE misrouted_write (id int)`).rejects.toThrow(/read-only/);
  });

  it('reads its own write within a request, and hands out a consistency token', async () => {
    const response = await app.inject({ method: 'POST', url: '/fixture/value' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.readBack).toBe(body.written);
    expect(body.readFrom).toBe(5432);
    expect(response.headers['x-consistency-token']).toMatch(/^[0-9A-F]+\/[0-9A-F]+\.[\w-]{22}$/);
  });

  it('sends @ReadFromPrimary() handlers to the primary', async () => {
    const response = await app.inject({ method: 'GET', url: '/fixture/strong' });
    expect(response.json()).toEqual({ recovery: false });
  });

  it('rejects a malformed consistency token with 400', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/fixture/value',
      headers: { 'x-consistency-token': "0/0' OR 1=1" },
    });
    expect(response.statusCode).toBe(400);
  });

  it('keeps serving with zero failures while a replica stops, drops it fast, and takes it back after restart', async () => {
    const { probeIntervalMs } = { probeIntervalMs: 200 };
    let failures = 0;
    let reads = 0;
    let stopping = true;
    const readers = Array.from({ length: 4 }, async () => {
      while (stopping) {
        const response = await app.inject({ method: 'GET', url: '/fixture/value' });
        reads++;
        if (response.statusCode !== 200) failures++;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppedAt = Date.now();
    stopReplica(2);
    const outAfter = await waitFor(
      () => !db.snapshot().replicas[1].inRotation,
      5_000,
      'replica-2 to leave the rotation',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    startReplica(2);
    await waitFor(() => db.snapshot().replicas[1].inRotation, 15_000, 'replica-2 to rejoin');
    stopping = false;
    await Promise.all(readers);
    // While replica-2 was away, replica-1 carried every read and may have been judged slow against
    // the freshly restarted replica-2: that is the monitor doing its job. Both serve again soon.
    await waitFor(
      () => db.snapshot().replicas.every((replica) => replica.inRotation),
      15_000,
      'both replicas in rotation',
    );
    expect(reads).toBeGreaterThan(50);
    expect(failures).toBe(0);
    expect(outAfter, `out ${outAfter} ms after the stop`).toBeLessThanOrEqual(2 * probeIntervalMs);
    expect(Date.now() - stoppedAt).toBeGreaterThan(outAfter);
    const ports = await portsOf(6);
    expect(
      new Set(ports),
      JSON.stringify(db.snapshot().replicas, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    ).toEqual(new Set([5433, 5434]));
  });

  it('serves reads from the primary, without errors, when every replica is down', async () => {
    stopReplica(1);
    stopReplica(2);
    try {
      const before = db.snapshot().routing['primary-fallback'];
      for (let i = 0; i < 20; i++) {
        const response = await app.inject({ method: 'GET', url: '/fixture/value' });
        expect(response.statusCode).toBe(200);
        if (i > 2) expect(response.json().port).toBe(5432);
      }
      await waitFor(() => db.snapshot().replicas.every((replica) => !replica.inRotation), 2_000, 'both replicas out');
      expect(db.snapshot().routing['primary-fallback']).toBeGreaterThan(before);
    } finally {
      startReplica(1);
      startReplica(2);
    }
    await waitFor(() => db.snapshot().replicas.every((replica) => replica.inRotation), 15_000, 'both replicas back');
  });
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Db } from '../../src/database/index.js';
import { setApplyDelay } from '../support/replicas.js';
import { waitFor } from '../support/wait-for.js';
import { createDatabaseFixture, PROBE_TABLE } from './fixture-app.js';

/** Replicas made to lag for real with `recovery_min_apply_delay`. */
describe('DatabaseModule with lagging replicas', () => {
  afterAll(async () => {
    await setApplyDelay(1, '0');
    await setApplyDelay(2, '0');
  });

  describe('one replica 2 s behind, maxLagMs 500', () => {
    let app: NestFastifyApplication;
    let db: Db;

    beforeAll(async () => {
      ({ app, db } = await createDatabaseFixture({
        routing: { probeIntervalMs: 100, probeTimeoutMs: 300, maxLagMs: 500 },
      }));
      await setApplyDelay(1, '2s');
    });

    afterAll(async () => {
      await setApplyDelay(1, '0');
      await app?.close();
    });

    it('takes the lagging replica out, and serves untokened reads from the healthy one', async () => {
      // Lag only shows while there is something to replay: keep writing.
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await db.primary.$executeRawUnsafe(`UPDATE ${PROBE_TABLE} SET value = value + 1 WHERE id = 1`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      try {
        await waitFor(() => !db.snapshot().replicas[0].inRotation, 5_000, 'replica-1 to leave the rotation');
        const lagging = db.snapshot().replicas[0];
        expect(lagging.reason).toMatch(/lagging/);
        expect(lagging.lagSeconds).toBeGreaterThan(0.5);
        expect(db.snapshot().replicas[1].inRotation).toBe(true);

        // Another client, no token: a replica may answer (stale allowed) and it is the healthy one.
        for (let i = 0; i < 5; i++) {
          const response = await app.inject({ method: 'GET', url: '/fixture/value' });
          expect(response.statusCode).toBe(200);
          expect(response.json().port).toBe(5434);
        }
      } finally {
        writing = false;
        await writer;
      }
      await setApplyDelay(1, '0');
      await waitFor(() => db.snapshot().replicas[0].inRotation, 10_000, 'replica-1 to rejoin once caught up');
    });
  });

  describe('both replicas 2 s behind but kept in rotation (maxLagMs 10 s)', () => {
    let app: NestFastifyApplication;
    let db: Db;

    beforeAll(async () => {
      ({ app, db } = await createDatabaseFixture({
        routing: { probeIntervalMs: 200, probeTimeoutMs: 300, maxLagMs: 10_000 },
      }));
      await setApplyDelay(1, '2s');
      await setApplyDelay(2, '2s');
    });

    afterAll(async () => {
      await app?.close();
    });

    it('a read with the token sees the write at once; one without may be stale', async () => {
      const write = await app.inject({ method: 'POST', url: '/fixture/value' });
      const { written } = write.json();
      const token = write.headers['x-consistency-token'] as string;
      expect(token).toBeTruthy();

      const withToken = await app.inject({
        method: 'GET',
        url: '/fixture/value',
        headers: { 'x-consistency-token': token },
      });
      expect(withToken.json().value).toBe(written);

      const withoutToken = await app.inject({ method: 'GET', url: '/fixture/value' });
      expect([5433, 5434]).toContain(withoutToken.json().port);
      expect(withoutToken.json().value, 'replicas are 2 s behind: the untokened read is stale').not.toBe(written);

      // Once replayed, the token is satisfied by a replica again.
      await new Promise((resolve) => setTimeout(resolve, 2_600));
      await db.probeReplicas();
      const later = await app.inject({
        method: 'GET',
        url: '/fixture/value',
        headers: { 'x-consistency-token': token },
      });
      expect(later.json()).toMatchObject({ value: written });
      expect([5433, 5434]).toContain(later.json().port);
    });

    it('a user who ignores the token still reads their own write (last write position in Redis)', async () => {
      const user = { 'x-test-user': `user-${Date.now()}` };
      const write = await app.inject({ method: 'POST', url: '/fixture/value', headers: user });
      const { written } = write.json();
      const mine = await app.inject({ method: 'GET', url: '/fixture/value', headers: user });
      expect(mine.json().value).toBe(written);
      const someoneElse = await app.inject({
        method: 'GET',
        url: '/fixture/value',
        headers: { 'x-test-user': 'someone-else' },
      });
      expect(someoneElse.json().value).not.toBe(written);
    });
  });
});

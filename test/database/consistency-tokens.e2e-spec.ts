import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConsistencyTokens } from '../../src/database/consistency/consistency-tokens.js';
import type { Db } from '../../src/database/index.js';
import { waitFor } from '../support/wait-for.js';
import { createDatabaseFixture } from './fixture-app.js';

/**
 * Consistency tokens are signed: only positions the API handed out steer reads. The fixture's
 * `/fixture/value` answers with the port of the server that served its read (5432 = primary).
 */
describe('signed consistency tokens (real primary + 2 streaming replicas)', () => {
  const KEY = 'the key every instance of this fixture shares';
  const PRIMARY = 5432;
  let app: NestFastifyApplication;
  let db: Db;

  beforeAll(async () => {
    ({ app, db } = await createDatabaseFixture({ consistencyTokenKey: KEY }));
    await waitFor(() => db.snapshot().replicas.every((replica) => replica.inRotation), 10_000, 'both replicas');
  });

  afterAll(async () => {
    await app?.close();
  });

  const read = async (token: string) => {
    const response = await app.inject({
      method: 'GET',
      url: '/fixture/value',
      headers: { 'x-consistency-token': token },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { value: number; port: number };
  };

  it('ignores a forged maximal position: reads stay on the replicas', async () => {
    const forged = [
      'FFFFFFFF/FFFFFFFF',
      `FFFFFFFF/FFFFFFFF.${'A'.repeat(22)}`,
      new ConsistencyTokens('a guessed key').issue('FFFFFFFF/FFFFFFFF'),
    ];
    for (const token of forged) {
      for (let i = 0; i < 4; i++) expect((await read(token)).port, token).not.toBe(PRIMARY);
    }
  });

  it('honours a signed position: one no replica has replayed is read from the primary', async () => {
    const ahead = new ConsistencyTokens(KEY).issue('FFFFFFFF/FFFFFFFF');
    for (let i = 0; i < 4; i++) expect((await read(ahead)).port).toBe(PRIMARY);
  });

  it("gives read-your-writes with the write's own token, and none once its position is changed", async () => {
    const write = await app.inject({ method: 'POST', url: '/fixture/value' });
    const token = String(write.headers['x-consistency-token']);
    expect(token).toMatch(/^[0-9A-F]+\/[0-9A-F]+\.[\w-]{22}$/);
    expect((await read(token)).value).toBe(write.json().written);
    const [, tag] = token.split('.');
    expect((await read(`FFFFFFFF/FFFFFFFF.${tag}`)).port).not.toBe(PRIMARY);
  });

  it('refuses a malformed token with 400', async () => {
    for (const token of ["0/0' OR 1=1", '0/1.', '0/1.a b']) {
      const response = await app.inject({
        method: 'GET',
        url: '/fixture/value',
        headers: { 'x-consistency-token': token },
      });
      expect(response.statusCode, token).toBe(400);
    }
  });
});

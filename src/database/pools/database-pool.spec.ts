import net from 'node:net';
import { testConfig } from '../../../test/support/test-app.js';
import { DatabaseStats } from '../database-stats.js';
import { DatabasePool } from './database-pool.js';

/** A server-sent `FATAL 57P01` ErrorResponse: what every session gets when the server shuts down. */
function adminShutdown(): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C57P01', 'Mterminating connection due to administrator command'];
  const body = Buffer.concat([...fields.map((field) => Buffer.from(`${field}\0`)), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/**
 * A proxy to the real primary that, once armed, ends the next server answer that closes a query
 * (ReadyForQuery) with the shutdown error in the same packet, then closes: a restart landing just
 * after a query, as the test of a real restart met it.
 */
async function shutdownAfterNextQuery(targetPort: number) {
  let armed = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const ready = chunk.length >= 6 && chunk[chunk.length - 6] === 0x5a; // 'Z', length 5, status
      if (armed && ready) {
        armed = false;
        client.end(Buffer.concat([chunk, adminShutdown()]));
        upstream.destroy();
      } else client.write(chunk);
    });
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    arm: () => (armed = true),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('DatabasePool when the server ends a session (real Postgres behind a proxy)', () => {
  it('survives a session ended while a transaction is being handed the connection, and drops that connection', async () => {
    const url = testConfig().DATABASE_URL;
    const proxy = await shutdownAfterNextQuery(Number(new URL(url).port));
    const pool = new DatabasePool(
      {
        name: 'primary',
        url: url.replace(/:(\d+)\//, `:${proxy.port}/`),
        applicationName: 'store-api:spec',
        readOnly: false,
        pool: { max: 1, min: 0 },
        slowQueryMs: 10_000,
        leakWarningMs: 10_000,
        preparedStatements: false,
      },
      new DatabaseStats(),
    );
    try {
      // One connection: the transaction-style (promise) checkout waits for the query's, and is
      // handed it the moment that query ends — in the packet that also ends the session.
      await pool.pool.query('SELECT 1');
      proxy.arm();
      const [, client] = await Promise.all([pool.pool.query('SELECT 2'), pool.pool.connect()]);
      await expect(client.query('SELECT 3')).rejects.toThrow(/not queryable|terminat/i);
      client.release();
      expect(pool.pool.totalCount).toBe(0);
      await expect(pool.pool.query('SELECT 4')).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      await pool.close();
      await proxy.close();
    }
  });
});

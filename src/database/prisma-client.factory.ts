import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export interface PooledClient {
  client: PrismaClient;
  pool: pg.Pool;
}

export interface PooledClientOptions {
  url: string;
  applicationName: string;
  /** Replica sessions refuse writes, so a misrouted write fails at once. */
  readOnly: boolean;
}

/** One factory for primary and replica clients: a `pg.Pool` we own under Prisma's pg adapter. */
export function createPooledClient({ url, applicationName, readOnly }: PooledClientOptions): PooledClient {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: applicationName,
    // Prisma 7's adapter default is 0 = wait forever for a free connection.
    connectionTimeoutMillis: 5_000,
    options: readOnly ? '-c default_transaction_read_only=on' : undefined,
  });
  const client = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { client, pool };
}

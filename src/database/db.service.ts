import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { DATABASE_MODULE_OPTIONS } from './database.module-definition.js';
import type { DatabaseModuleOptions } from './database.options.js';
import { createPooledClient, type PooledClient } from './prisma-client.factory.js';

/**
 * The one way to the database: `primary` for writes and transactions, `reader()` for reads that
 * may be served by a replica.
 */
@Injectable()
export class Db implements OnApplicationShutdown {
  private readonly primaryPool: PooledClient;
  private readonly replicaPools: PooledClient[];
  private next = 0;

  constructor(@Inject(DATABASE_MODULE_OPTIONS) options: DatabaseModuleOptions) {
    const prefix = options.applicationName ?? 'store-api';
    this.primaryPool = createPooledClient({
      url: options.primaryUrl,
      applicationName: `${prefix}:primary`,
      readOnly: false,
    });
    this.replicaPools = options.replicaUrls.map((url, index) =>
      createPooledClient({ url, applicationName: `${prefix}:replica-${index + 1}`, readOnly: true }),
    );
  }

  get primary(): PrismaClient {
    return this.primaryPool.client;
  }

  /** A client for a read; round-robin over the replicas, the primary when there are none. */
  reader(): PrismaClient {
    if (this.replicaPools.length === 0) return this.primary;
    this.next = (this.next + 1) % this.replicaPools.length;
    return this.replicaPools[this.next].client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(
      [this.primaryPool, ...this.replicaPools].map(async ({ client, pool }) => {
        await client.$disconnect();
        await pool.end();
      }),
    );
  }
}

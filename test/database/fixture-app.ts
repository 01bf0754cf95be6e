import { Controller, Get, Injectable, Module, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  ConsistencyInterceptor,
  DatabaseModule,
  Db,
  ReadFromPrimary,
  type DatabaseModuleOptions,
} from '../../src/database/index.js';
import { APP_NAME, redisConnection } from '../../src/config/index.js';
import { testConfig } from '../support/test-app.js';

export const PROBE_TABLE = 'db_fixture_values';

/** Stands in for authentication: `x-test-user` becomes `request.user.id`. */
@Injectable()
class HeaderUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    const user = request.headers['x-test-user'];
    if (user) request.user = { id: user };
    return true;
  }
}

@Controller('fixture')
class FixtureController {
  constructor(private readonly db: Db) {}

  /** A write, then a read in the same request: the read must see it. */
  @Post('value')
  async write(): Promise<{ written: number; readBack: number; readFrom: number }> {
    const written = Date.now() + Math.floor(Math.random() * 1000);
    await this.db.primary.$executeRawUnsafe(`UPDATE ${PROBE_TABLE} SET value = $1 WHERE id = 1`, written);
    const [row] = await this.db
      .reader()
      .$queryRawUnsafe<{ value: string; port: number }[]>(
        `SELECT value::text, current_setting('port')::int AS port FROM ${PROBE_TABLE} WHERE id = 1`,
      );
    return { written, readBack: Number(row.value), readFrom: row.port };
  }

  @Get('value')
  async read(): Promise<{ value: number; port: number }> {
    const [row] = await this.db
      .reader()
      .$queryRawUnsafe<{ value: string; port: number }[]>(
        `SELECT value::text, current_setting('port')::int AS port FROM ${PROBE_TABLE} WHERE id = 1`,
      );
    return { value: Number(row.value), port: row.port };
  }

  @Get('strong')
  @ReadFromPrimary()
  async strong(): Promise<{ recovery: boolean }> {
    const [row] = await this.db.reader().$queryRaw<{ recovery: boolean }[]>`SELECT pg_is_in_recovery() AS recovery`;
    return row;
  }
}

/** The database module alone, in a small HTTP app, with test-sized timings. */
export async function createDatabaseFixture(overrides: Partial<DatabaseModuleOptions> = {}) {
  const config = testConfig();
  const options: DatabaseModuleOptions = {
    applicationName: APP_NAME,
    primaryUrl: config.DATABASE_URL,
    replicaUrls: config.DATABASE_REPLICA_URLS,
    routing: { probeIntervalMs: 100, probeTimeoutMs: 300, maxLagMs: 500, rejoinAfter: 2 },
    lastWriteStore: redisConnection(config, 'cache'),
    ...overrides,
  };
  @Module({
    imports: [DatabaseModule.forRoot(options)],
    controllers: [FixtureController],
    providers: [
      { provide: APP_GUARD, useClass: HeaderUserGuard },
      { provide: APP_INTERCEPTOR, useExisting: ConsistencyInterceptor },
    ],
  })
  class FixtureModule {}

  const moduleRef = await Test.createTestingModule({ imports: [FixtureModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  app.useLogger(['error']);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const db = app.get(Db);
  await db.primary.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (id int PRIMARY KEY, value bigint NOT NULL)`,
  );
  await db.primary.$executeRawUnsafe(`INSERT INTO ${PROBE_TABLE} VALUES (1, 0) ON CONFLICT (id) DO NOTHING`);
  return { app, db, options };
}

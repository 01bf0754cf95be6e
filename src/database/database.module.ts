import { Global, Module } from '@nestjs/common';
import { ConsistencyInterceptor } from './consistency/consistency.interceptor.js';
import { ConfigurableDatabaseModule } from './database.module-definition.js';
import { Db } from './db.service.js';

/**
 * Primary and replica Prisma clients with health-checked, lag-aware routing and read-your-writes.
 * Register `ConsistencyInterceptor` globally (APP_INTERCEPTOR) to carry consistency tokens.
 */
@Global()
@Module({ providers: [Db, ConsistencyInterceptor], exports: [Db, ConsistencyInterceptor] })
export class DatabaseModule extends ConfigurableDatabaseModule {}

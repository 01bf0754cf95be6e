import { Global, Module } from '@nestjs/common';
import { ConfigurableDatabaseModule } from './database.module-definition.js';
import { Db } from './db.service.js';

@Global()
@Module({ providers: [Db], exports: [Db] })
export class DatabaseModule extends ConfigurableDatabaseModule {}

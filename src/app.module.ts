import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProblemDetailsFilter } from './common/http/index.js';
import { AppConfig, AppConfigModule, type AppConfigValues } from './config/index.js';
import { DatabaseModule } from './database/index.js';
import { ProductsModule } from './products/products.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfigValues): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (app: AppConfig) => ({
            primaryUrl: app.DATABASE_URL,
            replicaUrls: app.DATABASE_REPLICA_URLS,
          }),
        }),
        ProductsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}

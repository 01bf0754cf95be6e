import { Global, Module } from '@nestjs/common';
import { ApiKeysController } from './api-keys.controller.js';
import { ConfigurableApiKeysModule } from './api-keys.module-definition.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';

/**
 * Registered API keys: `ApiKeysService` (issue, list, revoke, and `verify` for the HTTP edge) and
 * the admin routes under /admin/api-keys. Needs `Db` (DatabaseModule, global). Global, as the
 * rate-limit module is: the HTTP edge and the metrics read the one service configured in AppModule.
 */
@Global()
@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeysRepository],
  exports: [ApiKeysService],
})
export class ApiKeysModule extends ConfigurableApiKeysModule {}

import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { bootOrExit, exitOnSignals } from './common/process/lifecycle.js';
import { loadAppConfig } from './config/index.js';
import { ReadinessService } from './health/index.js';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const app = await createApp(config);
  const logger = new Logger('Bootstrap');
  // SIGTERM: not-ready but still serving for SHUTDOWN_DRAIN_MS (the balancer takes this instance
  // out), then stop accepting, let in-flight requests finish, close pools, Redis and queues.
  exitOnSignals(app, logger, () => {
    logger.log(`not ready; serving for ${config.SHUTDOWN_DRAIN_MS} ms more before closing`);
    return app.get(ReadinessService).drain(config.SHUTDOWN_DRAIN_MS);
  });
  await app.listen(config.PORT, config.HOST);
  logger.log(`store-api listening on ${await app.getUrl()} (${config.NODE_ENV})`);
}

await bootOrExit(bootstrap);

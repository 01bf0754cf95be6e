import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { bootOrExit, exitOnSignals } from './common/process/lifecycle.js';
import { loadAppConfig } from './config/index.js';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const app = await createApp(config);
  const logger = new Logger('Bootstrap');
  // SIGTERM: stop accepting, let in-flight requests finish, then close pools, Redis and queues.
  exitOnSignals(app, logger);
  await app.listen(config.PORT, config.HOST);
  logger.log(`store-api listening on ${await app.getUrl()} (${config.NODE_ENV})`);
}

await bootOrExit(bootstrap);

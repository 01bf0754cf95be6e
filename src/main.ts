import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { InvalidConfigError, loadAppConfig } from './config/index.js';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('Bootstrap').log(`store-api listening on ${await app.getUrl()} (${config.NODE_ENV})`);
}

try {
  await bootstrap();
} catch (error) {
  if (!(error instanceof InvalidConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

import { InvalidConfigError } from '../../config/index.js';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { flushTraces } from '../../tracing/trace-context.js';

/**
 * On SIGTERM/SIGINT: run `beforeClose` (e.g. a drain delay while still serving), close the
 * application (its shutdown hooks drain work and close connections), then exit 0, or 1 if closing
 * failed. Not `enableShutdownHooks()`: that re-raises the signal after the hooks, so even a clean
 * drain ends as "killed by SIGTERM".
 */
export function exitOnSignals(
  app: INestApplicationContext,
  logger: LoggerService,
  beforeClose: () => Promise<void> = async () => {},
): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: stopping`);
      beforeClose()
        .then(() => app.close())
        .then(
          // The last spans (a drained job's) are sent before the exit drops them.
          () => flushTraces().finally(() => process.exit(0)),
          (error: Error) => {
            logger.error(`shutdown failed: ${error.stack}`);
            process.exit(1);
          },
        );
    });
  }
}

/**
 * Runs a process's bootstrap; a bad configuration prints its one message (every bad key named)
 * and exits 1 instead of a stack trace. Anything else is thrown as is.
 */
export async function bootOrExit(bootstrap: () => Promise<void>): Promise<void> {
  try {
    await bootstrap();
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

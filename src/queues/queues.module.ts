import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { DefaultJobOptions, Queue } from 'bullmq';
import { AppConfig } from '../config/index.js';
import { queueConnection } from './queue-connection.js';
import { ALL_QUEUES, CHARGES_QUEUE, EMAILS_QUEUE, REFUNDS_QUEUE } from './queues.constants.js';

/**
 * Retries with exponential backoff and jitter; finished jobs kept for inspection as long as
 * RETENTION_COMPLETED_JOBS_S / RETENTION_FAILED_JOBS_S say. BullMQ trims by age only when another
 * job finishes; the worker's retention schedulers trim idle queues too.
 */
function retried(config: AppConfig, attempts: number, delay: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay, jitter: 0.5 },
    removeOnComplete: { age: config.RETENTION_COMPLETED_JOBS_S, count: 10_000 },
    removeOnFail: { age: config.RETENTION_FAILED_JOBS_S },
  };
}

/**
 * Connection errors of the queues' clients, logged at most every 10 s (without a listener BullMQ
 * prints each one to stderr); the clients reconnect by themselves.
 */
@Injectable()
class QueueErrorLog {
  private readonly logger = new Logger('Queues');
  private lastLoggedAt = 0;

  constructor(@Inject(ALL_QUEUES) queues: Queue[]) {
    for (const queue of queues) {
      queue.on('error', (error: Error) => {
        if (Date.now() - this.lastLoggedAt < 10_000) return;
        this.lastLoggedAt = Date.now();
        this.logger.warn(`queue Redis: ${error.message}`);
      });
    }
  }
}

/**
 * The `charges`, `emails` and `refunds` queues on the queue Redis (noeviction; one server or a cluster),
 * injectable with `@InjectQueue(name)` by the API (Bull Board) and the worker (relay and processors).
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ connection: queueConnection(config), prefix: config.QUEUE_PREFIX }),
    }),
    BullModule.registerQueueAsync(
      {
        name: CHARGES_QUEUE,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          // On a cluster the queues share one client that BullMQ never closes: the first queue to
          // close disconnects it (with a URL, closing the queue already closed its connections).
          forceDisconnectOnShutdown: true,
          defaultJobOptions: retried(config, config.CHARGE_ATTEMPTS, config.CHARGE_BACKOFF_MS),
        }),
      },
      {
        name: EMAILS_QUEUE,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          forceDisconnectOnShutdown: true,
          defaultJobOptions: retried(config, config.EMAIL_ATTEMPTS, config.EMAIL_BACKOFF_MS),
        }),
      },
      {
        // Refunds talk to the same provider as charges: the same retries and backoff.
        name: REFUNDS_QUEUE,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          forceDisconnectOnShutdown: true,
          defaultJobOptions: retried(config, config.CHARGE_ATTEMPTS, config.CHARGE_BACKOFF_MS),
        }),
      },
    ),
  ],
  providers: [
    {
      provide: ALL_QUEUES,
      inject: [getQueueToken(CHARGES_QUEUE), getQueueToken(EMAILS_QUEUE), getQueueToken(REFUNDS_QUEUE)],
      useFactory: (...queues: Queue[]) => queues,
    },
    QueueErrorLog,
  ],
  exports: [BullModule, ALL_QUEUES],
})
export class QueuesModule {}

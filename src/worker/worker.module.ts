import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfigValues } from '../config/index.js';
import { CoreModule } from '../core.module.js';
import { EmailsModule } from '../emails/emails.module.js';
import { MAINTENANCE_QUEUE } from '../queues/queues.constants.js';
import { RetentionModule } from '../retention/retention.module.js';
import { ChargeProcessor } from './charge.processor.js';
import { EmailProcessor } from './email.processor.js';
import { PaymentReconciler } from './payment-reconciler.js';
import { RefundProcessor } from './refund.processor.js';
import { RetentionProcessor } from './retention.processor.js';
import { RetentionScheduler } from './retention.scheduler.js';
import { WorkerHttp } from './worker-http.js';
import { WorkerRunner } from './worker-runner.js';

/** The worker process: deferred charges, the payment reconciliation sweep, refunds, emails, the outbox relay and retention. No HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfigValues): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, { replicas: false }),
        EmailsModule,
        RetentionModule,
        // The worker's own queue (the API never adds to it); closes with the others (see QueuesModule).
        BullModule.registerQueue({ name: MAINTENANCE_QUEUE, forceDisconnectOnShutdown: true }),
      ],
      providers: [
        ChargeProcessor,
        EmailProcessor,
        PaymentReconciler,
        RefundProcessor,
        RetentionProcessor,
        RetentionScheduler,
        WorkerRunner,
        WorkerHttp,
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfigValues } from '../config/index.js';
import { CoreModule } from '../core.module.js';
import { EmailsModule } from '../emails/emails.module.js';
import { ChargeProcessor } from './charge.processor.js';
import { EmailProcessor } from './email.processor.js';
import { PaymentReconciler } from './payment-reconciler.js';
import { WorkerHttp } from './worker-http.js';
import { WorkerRunner } from './worker-runner.js';

/** The worker process: deferred charges, the payment reconciliation sweep, emails, and the outbox relay. No HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfigValues): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config, { replicas: false }), EmailsModule],
      providers: [ChargeProcessor, EmailProcessor, PaymentReconciler, WorkerRunner, WorkerHttp],
    };
  }
}

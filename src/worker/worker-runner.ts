import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Worker, type Job, type Processor, type Queue } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { Counter, Histogram } from 'prom-client';
import { AppConfig } from '../config/index.js';
import { withDeadline } from '../common/deadline.js';
import { Db } from '../database/index.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { queueConnection, releaseQueueConnection } from '../queues/queue-connection.js';
import {
  CHARGES_QUEUE,
  EMAILS_QUEUE,
  MAINTENANCE_QUEUE,
  RECONCILE_JOB,
  REFUNDS_QUEUE,
} from '../queues/queues.constants.js';
import { ChargeProcessor } from './charge.processor.js';
import { EmailProcessor } from './email.processor.js';
import { scrubLegacyChargeJobs } from './legacy-charge-jobs.js';
import { PaymentReconciler } from './payment-reconciler.js';
import { RefundProcessor } from './refund.processor.js';
import { RetentionProcessor } from './retention.processor.js';
import { inSpan, SpanKind } from '../tracing/trace-context.js';

/**
 * The worker process: BullMQ workers for `charges`, `emails`, `refunds` and `maintenance` (retention;
 * concurrency, locks and stalled-job recovery from the config) and the outbox relay. Shutdown stops the relay, lets the workers
 * finish their active jobs within WORKER_SHUTDOWN_TIMEOUT_MS (then force-closes: those jobs' locks
 * lapse and another worker takes them as stalled), before the database and Redis close.
 */
@Injectable()
export class WorkerRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private readonly relay: OutboxRelay;
  private workers: Worker[] = [];
  private readonly jobDuration = new Histogram({
    name: 'queue_job_duration_seconds',
    help: 'Time a job ran in this worker, by queue and outcome',
    labelNames: ['queue', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  private readonly stalled = new Counter({
    name: 'queue_jobs_stalled_total',
    help: 'Jobs found stalled (their worker died or blocked) and run again',
    labelNames: ['queue'],
  });

  constructor(
    private readonly config: AppConfig,
    private readonly charges: ChargeProcessor,
    private readonly emails: EmailProcessor,
    private readonly refunds: RefundProcessor,
    private readonly retention: RetentionProcessor,
    private readonly log: PinoLogger,
    private readonly reconciler: PaymentReconciler,
    db: Db,
    @InjectQueue(CHARGES_QUEUE) private readonly chargesQueue: Queue,
    @InjectQueue(EMAILS_QUEUE) emailsQueue: Queue,
    @InjectQueue(REFUNDS_QUEUE) refundsQueue: Queue,
  ) {
    this.relay = new OutboxRelay(
      db,
      { charge: chargesQueue, email: emailsQueue, refund: refundsQueue, 'account-email': emailsQueue },
      { intervalMs: config.OUTBOX_RELAY_INTERVAL_MS },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.scheduleReconciliation();
    this.workers = [
      this.start(CHARGES_QUEUE, (job) => this.charges.process(job), this.config.WORKER_CHARGE_CONCURRENCY),
      this.start(EMAILS_QUEUE, (job) => this.emails.process(job), this.config.WORKER_EMAIL_CONCURRENCY),
      // Refunds are rare and admin-made: the charges' concurrency is plenty.
      this.start(REFUNDS_QUEUE, (job) => this.refunds.process(job), this.config.WORKER_CHARGE_CONCURRENCY),
      // One chore at a time: prunes are background work, never a burst on the database.
      this.start(MAINTENANCE_QUEUE, (job) => this.retention.process(job), 1),
    ];
    if (this.config.OUTBOX_RELAY_ENABLED) this.relay.start();
    else this.logger.warn('outbox relay disabled (OUTBOX_RELAY_ENABLED=false): events wait in the outbox');
  }

  /**
   * The sweep of stuck payments as a job scheduler (one per queue, whichever worker upserts it last
   * sets its interval: every worker runs the same config). Also, once per boot, clear payment
   * tokens left by earlier versions: sealed in the database, removed from charge jobs in Redis.
   */
  private async scheduleReconciliation(): Promise<void> {
    const every = this.config.PAYMENT_RECONCILE_INTERVAL_MS;
    if (every > 0)
      await this.chargesQueue.upsertJobScheduler(
        RECONCILE_JOB.schedulerId,
        { every },
        {
          name: RECONCILE_JOB.name,
          data: {},
          opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
        },
      );
    else await this.chargesQueue.removeJobScheduler(RECONCILE_JOB.schedulerId);
    const sealed = await this.reconciler.sealLegacyTokens();
    const scrubbed = await scrubLegacyChargeJobs(this.chargesQueue);
    if (sealed || scrubbed)
      this.logger.log(`legacy payment tokens: ${sealed} sealed in the database, ${scrubbed} removed from charge jobs`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('shutting down: relay stopped, finishing active jobs');
    await this.relay.stop();
    const drained = Promise.all(this.workers.map((worker) => worker.close())).then(() => true);
    if (!(await withDeadline(drained, this.config.WORKER_SHUTDOWN_TIMEOUT_MS).catch(() => false))) {
      this.logger.warn('active jobs outlived the shutdown deadline; closing anyway (they will be retried as stalled)');
      await Promise.all(this.workers.map((worker) => worker.close(true)));
    }
  }

  private start(queue: string, processor: Processor, concurrency: number): Worker {
    // Every line a job logs names its queue, id and attempt; its span continues the trace of
    // whoever wrote its outbox event (the checkout request, or the charge job for an email).
    const inJobContext: Processor = (job: Job<{ traceparent?: string }>, token, signal) =>
      inSpan(
        `${queue} process`,
        {
          kind: SpanKind.CONSUMER,
          parent: job.data.traceparent,
          attributes: {
            'messaging.system': 'bullmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': queue,
            'messaging.message.id': job.id,
            'messaging.bullmq.attempt': job.attemptsMade + 1,
          },
        },
        () =>
          this.log.runInContext(() => processor(job, token, signal), {
            bindings: { queue, jobId: job.id, attempt: job.attemptsMade + 1 },
          }),
      );
    const connection = queueConnection(this.config);
    const worker = new Worker(queue, inJobContext, {
      connection,
      prefix: this.config.QUEUE_PREFIX,
      concurrency,
      lockDuration: this.config.QUEUE_LOCK_DURATION_MS,
      stalledInterval: this.config.QUEUE_STALLED_INTERVAL_MS,
      maxStalledCount: this.config.QUEUE_MAX_STALLED_COUNT,
    });
    const observe = (job: Job | undefined, outcome: 'completed' | 'failed') => {
      if (job?.processedOn && job.finishedOn)
        this.jobDuration.observe({ queue, outcome }, (job.finishedOn - job.processedOn) / 1000);
    };
    worker.on('completed', (job: Job) => observe(job, 'completed'));
    worker.on('failed', (job: Job | undefined, error: Error) => {
      observe(job, 'failed');
      this.logger.warn(`${queue} job ${job?.id} attempt ${job?.attemptsMade} failed: ${error.message}`);
    });
    worker.on('stalled', (jobId: string) => {
      this.stalled.inc({ queue });
      this.logger.warn(`${queue} job ${jobId} stalled; it will run again`);
    });
    worker.on('error', (error: Error) => this.logger.error(`${queue} worker: ${error.message}`));
    worker.once('closed', () => releaseQueueConnection(connection));
    return worker;
  }
}

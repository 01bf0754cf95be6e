import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../config/index.js';
import { MAINTENANCE_QUEUE } from '../queues/queues.constants.js';
import { RETENTION_TARGETS } from '../retention/retention.service.js';

/**
 * One BullMQ job scheduler per retention target on the `maintenance` queue, every
 * RETENTION_INTERVAL_MS. A scheduler lives in Redis, not in a process: every worker upserts the
 * same ids at boot (the last config wins), and each interval makes one job for the whole fleet,
 * which one worker runs. RETENTION_ENABLED=false removes them.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Retention');

  constructor(
    private readonly config: AppConfig,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.RETENTION_ENABLED) {
      await Promise.all(RETENTION_TARGETS.map((target) => this.queue.removeJobScheduler(schedulerId(target))));
      this.logger.warn('retention disabled (RETENTION_ENABLED=false): nothing is pruned');
      return;
    }
    for (const target of RETENTION_TARGETS)
      await this.queue.upsertJobScheduler(
        schedulerId(target),
        { every: this.config.RETENTION_INTERVAL_MS },
        // Its own history stays short: a few runs to look at, whatever the interval.
        { name: target, opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
      );
    this.logger.log(`retention every ${this.config.RETENTION_INTERVAL_MS} ms: ${RETENTION_TARGETS.join(', ')}`);
  }
}

// No ":" in an id: BullMQ names a scheduler's jobs `repeat:<id>:<time>`.
const schedulerId = (target: string) => `retention-${target}`;

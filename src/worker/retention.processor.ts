import { Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import {
  RETENTION_TARGETS,
  RetentionService,
  type PruneResult,
  type RetentionTarget,
} from '../retention/retention.service.js';

/** Retention jobs (from `RetentionScheduler`): the job's name is what it prunes. */
@Injectable()
export class RetentionProcessor {
  constructor(private readonly retention: RetentionService) {}

  process(job: Job): Promise<PruneResult> {
    if (!RETENTION_TARGETS.includes(job.name as RetentionTarget))
      throw new UnrecoverableError(`no retention target "${job.name}"`);
    return this.retention.prune(job.name as RetentionTarget);
  }
}

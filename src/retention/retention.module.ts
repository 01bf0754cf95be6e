import { Module } from '@nestjs/common';
import { RetentionRepository } from './retention.repository.js';
import { RetentionService } from './retention.service.js';

/** Pruning past retention windows; the worker runs it on job schedulers (`RetentionScheduler`). */
@Module({ providers: [RetentionService, RetentionRepository], exports: [RetentionService] })
export class RetentionModule {}

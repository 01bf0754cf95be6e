import type { Job } from 'bullmq';

/** Whether this run is the job's last allowed attempt (`attemptsMade` counts the failed ones before it). */
export const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

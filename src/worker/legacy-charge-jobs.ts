import type { JobType, Queue } from 'bullmq';

const STATES: JobType[] = ['completed', 'failed', 'wait', 'delayed', 'prioritized', 'waiting-children'];
const PAGE = 500;

/**
 * Charge jobs enqueued before tokens left the job data still hold `paymentToken` (kept a day when
 * completed, a week when failed, shown by Bull Board): it is removed from their data, the rest kept.
 * At worker boot; a job running meanwhile (an old worker's) is left to finish. Returns how many.
 */
export async function scrubLegacyChargeJobs(queue: Queue): Promise<number> {
  let scrubbed = 0;
  for (const state of STATES) {
    for (let start = 0; ; start += PAGE) {
      const jobs = await queue.getJobs([state], start, start + PAGE - 1, true);
      for (const job of jobs) {
        if (!job || !('paymentToken' in (job.data as object))) continue;
        const { paymentToken: _erased, ...data } = job.data as Record<string, unknown>;
        await job.updateData(data);
        scrubbed++;
      }
      if (jobs.length < PAGE) break;
    }
  }
  return scrubbed;
}

import { Queue } from 'bullmq';
import { queueConnection, releaseQueueConnection } from '../../src/queues/queue-connection.js';
import { CHARGES_QUEUE, EMAILS_QUEUE, REFUNDS_QUEUE } from '../../src/queues/queues.constants.js';
import { testConfig } from './test-app.js';

/**
 * Resumes the shared test queues if a run left them paused (the queue board's "pause all" does
 * that, and nothing resumes them): a paused queue keeps every charge and email waiting, and a test
 * that counts them would wait in vain. Returns the queues that were paused.
 */
export async function resumeTestQueues(): Promise<string[]> {
  const config = testConfig();
  const resumed: string[] = [];
  for (const name of [CHARGES_QUEUE, EMAILS_QUEUE, REFUNDS_QUEUE]) {
    const connection = queueConnection(config);
    const queue = new Queue(name, { connection, prefix: config.QUEUE_PREFIX });
    try {
      if (await queue.isPaused()) {
        await queue.resume();
        resumed.push(name);
      }
    } finally {
      await queue.close();
      releaseQueueConnection(connection);
    }
  }
  return resumed;
}

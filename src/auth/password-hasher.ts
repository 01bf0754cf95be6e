import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel';
import { AppConfig } from '../config/index.js';
import { ProblemException } from '../common/http/index.js';

/**
 * argon2id (OWASP parameters: 19 MiB, t=2) with a bounded number of hashes at once and a bounded
 * queue behind them: a flood of sign-ups or logins costs at most `PASSWORD_HASH_CONCURRENCY` × 19 MiB
 * and a short wait, and past the queue a 503 problem with `Retry-After` instead of memory and
 * latency for everyone.
 */
@Injectable()
export class PasswordHasher {
  private readonly slots: BulkheadPolicy;
  /** Verified against when the email is unknown, so that both cases take the same time. */
  private readonly dummyHash: Promise<string>;

  constructor(config: AppConfig) {
    this.slots = bulkhead(config.PASSWORD_HASH_CONCURRENCY, config.PASSWORD_HASH_QUEUE);
    this.dummyHash = hash('no-such-user-password');
  }

  hash(password: string): Promise<string> {
    return this.run(() => hash(password));
  }

  /** Whether `password` matches `stored` (a missing or non-argon2 hash is checked against a dummy, and fails). */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    const usable = stored?.startsWith('$argon2') ? stored : undefined;
    const against = usable ?? (await this.dummyHash);
    const valid = await this.run(() => verify(against, password).catch(() => false));
    return valid && usable !== undefined;
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.slots.execute(work);
    } catch (error) {
      if (!(error instanceof BulkheadRejectedError)) throw error;
      throw new ProblemException(503, 'busy', 'Too many password checks at once; retry in a second.', undefined, {
        retryAfterS: 1,
      });
    }
  }
}

import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';

export interface AccountRecipient {
  email: string;
  name: string;
}

/** The SQL of account emails: who gets one, and the hashed single-use tokens they carry. */
@Injectable()
export class AccountEmailsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores a token's hash for the outbox event `outboxId` and reads where it goes, in one statement;
   * `undefined`: nothing to send (the user is gone, a verification is no longer needed, or this
   * event's token was already used). A retried job replaces its own unused token: only the last
   * email sent for an event works.
   */
  async issueToken(token: {
    outboxId: string;
    userId: number;
    purpose: 'verify' | 'reset';
    tokenHash: string;
    ttlS: number;
  }): Promise<AccountRecipient | undefined> {
    const [recipient] = await this.db.primary.$queryRaw<AccountRecipient[]>`
      WITH recipient AS (
        SELECT id, email, name FROM users
        WHERE id = ${token.userId} AND (${token.purpose} <> 'verify' OR email_verified_at IS NULL)
      ),
      issued AS (
        INSERT INTO account_tokens (user_id, purpose, token_hash, outbox_id, expires_at)
        SELECT id, ${token.purpose}, ${token.tokenHash}, ${token.outboxId}::bigint,
               now() + make_interval(secs => ${token.ttlS})
        FROM recipient
        ON CONFLICT (outbox_id) DO UPDATE
          SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at, created_at = now()
          WHERE account_tokens.used_at IS NULL
        RETURNING user_id
      )
      SELECT r.email, r.name FROM recipient r JOIN issued i ON i.user_id = r.id`;
    return recipient;
  }

  async recipient(userId: number): Promise<AccountRecipient | undefined> {
    const [recipient] = await this.db.primary.$queryRaw<AccountRecipient[]>`
      SELECT email, name FROM users WHERE id = ${userId}`;
    return recipient;
  }
}

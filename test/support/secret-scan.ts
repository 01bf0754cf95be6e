import type { FastifyInstance } from 'fastify';

/** Anything that would mean an internal field reached a client. */
export const SECRET_PATTERN = /passwordHash|password_hash|\$argon2|searchVector|search_vector|keyHash|key_hash/;

/** Counts bodies scanned, across every app of this test file. */
export const scanned = { bodies: 0 };

/**
 * Every response body an e2e app sends is scanned; a secret turns the response into a failure
 * the test that made the request sees (500 with the reason), so no e2e test can pass over a leak.
 */
export function scanResponsesForSecrets(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (_request, _reply, payload) => {
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      scanned.bodies++;
      if (SECRET_PATTERN.test(payload.toString()))
        throw new Error(`secret field in a response body: ${payload.toString().slice(0, 300)}`);
    }
    return payload;
  });
}

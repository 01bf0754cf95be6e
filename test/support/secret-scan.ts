import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { brotliDecompressSync } from 'node:zlib';
import type pg from 'pg';

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

/**
 * Every table of the database whose rows, as text (`row::text`, every column), contain `needle`:
 * what a pg_dump would show. Returns `table: count` for each table that does.
 */
export async function findInDatabase(sql: pg.Client, needle: string): Promise<string[]> {
  const { rows: tables } = await sql.query<{ name: string }>(
    `SELECT quote_ident(table_name) AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${name} t WHERE strpos(t::text, $1) > 0`,
      [needle],
    );
    if (rows[0].n) found.push(`${name}: ${rows[0].n}`);
  }
  return found;
}

/** Every key of the Redis database `url` whose name or value (any type) contains `needle`. */
export async function findInRedis(url: string, needle: string): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const found: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) if ((await redisValue(redis, key)).includes(needle)) found.push(key);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return found;
}

/** A key's name and whole value as text, whatever its type. */
async function redisValue(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  const value =
    type === 'string'
      ? await redis.getBuffer(key)
      : type === 'hash'
        ? await redis.hgetall(key)
        : type === 'list'
          ? await redis.lrange(key, 0, -1)
          : type === 'set'
            ? await redis.smembers(key)
            : type === 'zset'
              ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
              : type === 'stream'
                ? await redis.xrange(key, '-', '+')
                : null;
  return `${key} ${Buffer.isBuffer(value) ? cacheText(value) : JSON.stringify(value)}`;
}

/** A string value as text; a cache entry compressed by the cache codec (`[1][1]<brotli>`) decompressed too. */
function cacheText(value: Buffer): string {
  if (value[0] !== 1 || value[1] !== 1) return value.toString('latin1');
  try {
    return `${value.toString('latin1')} ${brotliDecompressSync(value.subarray(2)).toString('latin1')}`;
  } catch {
    return value.toString('latin1');
  }
}

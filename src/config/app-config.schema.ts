import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;

const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: 'must be a postgresql:// URL',
});
const redisUrl = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' });

/** Local defaults, so that `npm start` works on a machine prepared by `npm run services:up`. */
const localDefaults = (database: string) => ({
  DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${database}`,
  DATABASE_REPLICA_URLS: [5433, 5434]
    .map((port) => `postgresql://postgres@127.0.0.1:${port}/${database}`)
    .join(','),
  REDIS_CACHE_URL: 'redis://127.0.0.1:6380',
  REDIS_QUEUE_URL: 'redis://127.0.0.1:6379',
});

export const LOCAL_DEFAULTS = {
  development: localDefaults('store'),
  test: localDefaults('store_test'),
} as const;

export const appConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number({ error: 'must be a number' }).int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DATABASE_URL: postgresUrl,
  DATABASE_REPLICA_URLS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(postgresUrl)),
  REDIS_CACHE_URL: redisUrl,
  REDIS_QUEUE_URL: redisUrl,
});

export type AppConfigValues = z.output<typeof appConfigSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];

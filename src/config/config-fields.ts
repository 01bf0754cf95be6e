// The kinds of value a setting can hold, each parsed from its environment string.
import { z } from 'zod';

export const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: 'must be a postgresql:// URL',
});
export const redisUrl = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' });

/** An integer setting from the environment, within bounds. */
export const int = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

/** A comma-separated list; blanks dropped. */
export const commaList = () =>
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** Redis Cluster seed nodes: `host:port` or `redis(s)://[user:password@]host:port`, comma-separated. */
export const redisClusterNodes = () =>
  commaList().pipe(
    z.array(
      z
        .string()
        .transform((node) => (node.includes('://') ? node : `redis://${node}`))
        .pipe(redisUrl),
    ),
  );

/** A true/false setting from the environment. */
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

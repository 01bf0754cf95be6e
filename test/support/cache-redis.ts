import { execFileSync } from 'node:child_process';
import { waitFor } from './wait-for.js';

/** Stops and starts the cache-role Redis that services:up runs on 6380. */
export function stopCacheRedis(): void {
  execFileSync('redis-cli', ['-p', '6380', 'shutdown', 'nosave']);
}

export async function startCacheRedis(): Promise<void> {
  execFileSync('bash', ['scripts/services.sh', 'up'], { stdio: 'ignore' });
  await waitFor(
    () => execFileSync('redis-cli', ['-p', '6380', 'ping']).toString().includes('PONG'),
    5_000,
    'cache Redis',
  );
}

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * Controls the local clusters made by services:up: the primary (`main` on 5432) and the replicas
 * (replica1 on 5433, replica2 on 5434).
 */
const version = () =>
  execFileSync('pg_lsclusters', ['-h'])
    .toString()
    .split('\n')
    .find((line) => line.includes(' main '))!
    .split(/\s+/)[0];

export function stopReplica(index: 1 | 2): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version(), `replica${index}`, 'stop', '-m', 'fast']);
}

/** Starts the replica unless it already runs. */
export function startReplica(index: 1 | 2): void {
  const status = execFileSync('pg_lsclusters', ['-h'])
    .toString()
    .split('\n')
    .find((line) => line.split(/\s+/)[1] === `replica${index}`);
  if (status?.includes('online')) return;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version(), `replica${index}`, 'start']);
}

/** `recovery_min_apply_delay` on a replica ('0' to clear); takes effect on reload. */
export async function setApplyDelay(index: 1 | 2, delay: string): Promise<void> {
  const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${5432 + index}/postgres` });
  await client.connect();
  try {
    await client.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${delay}'`);
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end();
  }
}

const run = promisify(execFile);
const isOnline = (cluster: string) =>
  execFileSync('pg_lsclusters', ['-h'])
    .toString()
    .split('\n')
    .some((line) => line.split(/\s+/)[1] === cluster && line.includes('online'));

/**
 * Stops the shared primary (fast mode: sessions end with 57P01, the shutdown checkpoint streams to
 * the replicas). Asynchronous, so the test's own load keeps running meanwhile. Others' tests lose
 * their primary too: keep the gap short and always `startPrimary()` after.
 */
export async function stopPrimary(): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version(), 'main', 'stop', '-m', 'fast']);
}

/** Starts the primary unless it already runs; resolves once it accepts connections. */
export async function startPrimary(): Promise<void> {
  if (!isOnline('main')) await run('pg_ctlcluster', ['--skip-systemctl-redirect', version(), 'main', 'start']);
  await run('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432', '-t', '10']);
}

/**
 * Stops (`true`) or resumes (`false`) WAL replay on a replica: it keeps receiving WAL and serving
 * reads, frozen at what it had replayed, whatever else runs on the primary meanwhile.
 */
export async function pauseReplay(index: 1 | 2, paused: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${5432 + index}/postgres` });
  await client.connect();
  try {
    await client.query(paused ? 'SELECT pg_wal_replay_pause()' : 'SELECT pg_wal_replay_resume()');
  } finally {
    await client.end();
  }
}

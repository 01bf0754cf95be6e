import { Logger } from '@nestjs/common';
import pg from 'pg';
import { isConnectionError } from '../database-errors.js';
import type { ReplicaRoutingOptions } from '../database.options.js';
import { withDeadline } from '../../common/deadline.js';
import { parseLsn, type Lsn } from '../../common/lsn.js';
import { initialReplicaState, type ReplicaState } from './replica-state.js';

export const ROUTING_DEFAULTS: Required<ReplicaRoutingOptions> = {
  probeIntervalMs: 200,
  probeTimeoutMs: 300,
  maxLagMs: 1_000,
  maxLagBytes: 64 * 1024 * 1024,
  rejoinAfter: 2,
  slowFactor: 4,
};

/** Below this, latency differences between replicas are noise, not a sick replica. */
const SLOW_FLOOR_MS = 20;
const QUERY_LATENCY_WEIGHT = 0.1;
/** Primary positions are kept this long (or twice the max lag, if longer) to date replicas' positions. */
const HISTORY_MS = 10_000;
/** Query latency is compared only once a replica and its peers have this many samples. */
const MIN_QUERY_SAMPLES = 20;

interface ProbeTarget {
  url: string;
  client?: pg.Client;
}

/** The primary's flush position and when (`performance.now()`) it was asked: every write acknowledged before `at` is at or below `lsn`. */
interface PrimarySample {
  lsn: Lsn;
  at: number;
}

/**
 * Probes each replica off the request path, on its own connection (a busy pool must not make a
 * healthy replica look dead), and decides who is in the rotation.
 *
 * Each round asks the primary for its flush position (one query), then each replica for its replay
 * position. A replica that has replayed the primary's position read at time `t` shows every write
 * acknowledged before `t`: it may serve until `t + maxLagMs` (`freshUntil`, checked by the router
 * on every pick), and the next rounds move that on while it keeps up. So an anonymous read never
 * misses a write acknowledged more than `maxLagMs` before it, however the probes fall — provided
 * probes come often enough (well under `maxLagMs`) for a healthy replica's lease to be renewed in
 * time. Unlike `now() - pg_last_xact_replay_timestamp()`, this stays near 0 on an idle primary; unlike
 * `pg_stat_replication.replay_lsn`, it is exact: a standby reports its replay position to the
 * primary only along with write or flush progress, or every `wal_receiver_status_interval` (10 s).
 */
export class ReplicaMonitor {
  readonly states: ReplicaState[];
  /** Whether the last round reached the primary (the router sends reads to any replica while not). */
  readonly primary = { reachable: true };
  private readonly options: Required<ReplicaRoutingOptions>;
  private readonly logger = new Logger('Database:replicas');
  private readonly primaryTarget: ProbeTarget;
  private readonly replicas: ProbeTarget[];
  private readonly primaryHistory: PrimarySample[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    primaryUrl: string,
    replicaUrls: string[],
    options: ReplicaRoutingOptions = {},
    private readonly applicationName = 'replica-probe',
  ) {
    this.options = { ...ROUTING_DEFAULTS, ...options };
    this.primaryTarget = { url: primaryUrl };
    this.replicas = replicaUrls.map((url) => ({ url }));
    this.states = replicaUrls.map((_, index) => initialReplicaState(`replica-${index + 1}`));
    if (replicaUrls.length && 3 * this.options.probeIntervalMs > this.options.maxLagMs) {
      this.logger.warn(
        `replicas probed every ${this.options.probeIntervalMs} ms against a max lag of ${this.options.maxLagMs} ms: ` +
          'healthy replicas will drop out between probes (probe at least 3 times per max lag)',
      );
    }
  }

  get settings(): Readonly<Required<ReplicaRoutingOptions>> {
    return this.options;
  }

  start(): void {
    if (this.timer || this.replicas.length === 0) return;
    this.timer = setInterval(() => void this.probe(), this.options.probeIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([this.primaryTarget, ...this.replicas].map((target) => this.disconnect(target)));
  }

  /** One probe round; rounds never overlap. */
  probe(): Promise<void> {
    this.running ??= this.probeRound().finally(() => (this.running = undefined));
    return this.running;
  }

  /** An extra round now, unless stopped (or never started): something suggests positions moved. */
  nudge(): void {
    if (this.timer) void this.probe();
  }

  /** A query on this replica failed to connect: out at once, back only after good probes. */
  markFailed(index: number, reason: string): void {
    this.states[index].reachable = false;
    this.setOut(this.states[index], reason);
  }

  recordQueryLatency(index: number, durationMs: number): void {
    const state = this.states[index];
    state.querySamples++;
    state.queryLatencyMs =
      state.querySamples === 1
        ? durationMs
        : state.queryLatencyMs + QUERY_LATENCY_WEIGHT * (durationMs - state.queryLatencyMs);
  }

  private async probeRound(): Promise<void> {
    const sample = await this.samplePrimary();
    await Promise.all(this.replicas.map((target, index) => this.probeReplica(target, this.states[index], sample)));
    this.applySlowness();
  }

  /**
   * The primary's position now. While the primary refuses connections or ends them (it is down,
   * restarting or failing over), it is taken to commit nothing, and its last position seen is
   * carried forward: replicas that had replayed it keep serving reads, which it could not serve. A
   * probe that only times out changes nothing (a slow primary still commits): no position is
   * recorded, so leases age, and the primary is as reachable as it was last seen. A late answer is
   * still a valid position (dated when it was asked for), so the primary gets up to half the max lag.
   */
  private async samplePrimary(): Promise<PrimarySample | undefined> {
    const at = performance.now();
    const timeoutMs = Math.max(this.options.probeTimeoutMs, this.options.maxLagMs / 2);
    const lsn = await this.timed(this.primaryTarget, 'SELECT pg_current_wal_flush_lsn()::text AS lsn', timeoutMs).then(
      ({ rows }) => parseLsn(rows[0].lsn as string),
      (error: unknown) => (isConnectionError(error) ? 'away' : 'unknown'),
    );
    if (lsn === 'unknown') return this.primaryHistory.at(-1);
    this.primary.reachable = lsn !== 'away';
    const sample = { lsn: lsn === 'away' ? (this.primaryHistory.at(-1)?.lsn ?? 0n) : lsn, at };
    this.primaryHistory.push(sample);
    const horizon = at - Math.max(HISTORY_MS, 2 * this.options.maxLagMs);
    while (this.primaryHistory.length > 1 && this.primaryHistory[0].at < horizon) this.primaryHistory.shift();
    return sample;
  }

  /** The newest primary position at or below `replay`: the writes it covers are all visible there. */
  private newestReplayed(replay: Lsn): PrimarySample | undefined {
    for (let i = this.primaryHistory.length - 1; i >= 0; i--)
      if (this.primaryHistory[i].lsn <= replay) return this.primaryHistory[i];
    return undefined;
  }

  private async probeReplica(
    target: ProbeTarget,
    state: ReplicaState,
    primary: PrimarySample | undefined,
  ): Promise<void> {
    const started = performance.now();
    let row: { recovery: boolean; replay: string | null };
    try {
      const result = await this.timed(
        target,
        'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replay',
      );
      row = result.rows[0];
    } catch (error) {
      state.reachable = false;
      this.setOut(state, `probe failed: ${(error as Error).message}`);
      return;
    }
    state.probeLatencyMs = performance.now() - started;
    state.lastProbeAt = Date.now();
    if (!row.recovery || !row.replay) {
      state.reachable = false;
      this.setOut(state, 'not in recovery (promoted, or not a replica)');
      return;
    }
    state.reachable = true;
    const replay = parseLsn(row.replay);
    state.replayLsn = replay;
    state.lagBytes = primary && primary.lsn > replay ? Number(primary.lsn - replay) : 0;
    const covered = this.newestReplayed(replay);
    const now = performance.now();
    state.freshUntil = covered ? covered.at + this.options.maxLagMs : 0;
    const dated = covered ?? this.primaryHistory[0];
    state.lagSeconds = dated ? (now - dated.at) / 1000 : 0;

    if (now >= state.freshUntil || state.lagBytes > this.options.maxLagBytes) {
      this.setOut(state, `lagging ${state.lagSeconds.toFixed(2)} s / ${state.lagBytes} bytes`);
      return;
    }
    state.goodProbes++;
    // A replica that never failed joins on its first good probe; one that failed must prove itself.
    const needed = state.reason === 'not probed yet' ? 1 : this.options.rejoinAfter;
    if (!state.inRotation && state.goodProbes >= needed) {
      state.inRotation = true;
      if (state.reason !== 'not probed yet') this.logger.log(`${state.name} is back in rotation`);
      state.reason = '';
    }
  }

  /** One slow-but-alive replica must not stall round-robin: compare each with its peers. */
  private applySlowness(): void {
    if (this.states.length < 2) return;
    for (const state of this.states) {
      if (!state.inRotation) continue;
      // Only peers serving now are a fair baseline: an idle or dead replica's numbers are old.
      const peers = this.states.filter((other) => other !== state && other.inRotation);
      if (peers.length === 0) continue;
      const enoughSamples = [state, ...peers].every((replica) => replica.querySamples >= MIN_QUERY_SAMPLES);
      for (const metric of enoughSamples
        ? (['probeLatencyMs', 'queryLatencyMs'] as const)
        : (['probeLatencyMs'] as const)) {
        const baseline = median(peers.map((peer) => peer[metric]));
        if (state[metric] > SLOW_FLOOR_MS && state[metric] > this.options.slowFactor * Math.max(baseline, 1)) {
          this.setOut(state, `slow: ${metric} ${state[metric].toFixed(1)} vs peers ${baseline.toFixed(1)}`);
          // Forget the query latency, or it would keep the replica out forever (no queries go there).
          state.queryLatencyMs = 0;
          state.querySamples = 0;
          break;
        }
      }
    }
  }

  private setOut(state: ReplicaState, reason: string): void {
    if (state.inRotation) this.logger.warn(`${state.name} leaves the rotation: ${reason}`);
    state.inRotation = false;
    state.goodProbes = 0;
    state.reason = reason;
  }

  private async timed(
    target: ProbeTarget,
    sql: string,
    timeoutMs = this.options.probeTimeoutMs,
  ): Promise<pg.QueryResult> {
    try {
      return await withDeadline(
        (async () => {
          target.client ??= await this.connect(target.url, timeoutMs);
          return target.client.query(sql);
        })(),
        timeoutMs,
        'no answer',
      );
    } catch (error) {
      // Not awaited: ending a connection the server never answered waits for that server (a
      // primary shutting down holds new connections unanswered until it exits), and the round with it.
      void this.disconnect(target);
      throw error;
    }
  }

  private async connect(url: string, timeoutMs: number): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: url,
      application_name: this.applicationName,
      // Longer than the probe's own timeout, which fires first: a connection that does not come is
      // "no answer" (the server may be slow), not "connection refused" (the server is away).
      connectionTimeoutMillis: 2 * timeoutMs,
      statement_timeout: timeoutMs,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** Ends the target's connection; waits for that at most one probe timeout. */
  private async disconnect(target: ProbeTarget): Promise<void> {
    const client = target.client;
    target.client = undefined;
    if (!client) return;
    await withDeadline(client.end(), this.options.probeTimeoutMs).catch(() => undefined);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { ReplicaRoutingOptions } from '../database.options.js';
import { parseLsn, type Lsn } from '../../common/lsn.js';
import { initialReplicaState, type ReplicaState } from './replica-state.js';

export const ROUTING_DEFAULTS: Required<ReplicaRoutingOptions> = {
  probeIntervalMs: 1_000,
  probeTimeoutMs: 300,
  maxLagMs: 1_000,
  maxLagBytes: 64 * 1024 * 1024,
  rejoinAfter: 2,
  slowFactor: 4,
};

/** Below this, latency differences between replicas are noise, not a sick replica. */
const SLOW_FLOOR_MS = 20;
const QUERY_LATENCY_WEIGHT = 0.1;
const LSN_HISTORY = 120;
/** Query latency is compared only once a replica and its peers have this many samples. */
const MIN_QUERY_SAMPLES = 20;

interface ProbeTarget {
  url: string;
  client?: pg.Client;
}

/**
 * Probes each replica off the request path, on its own connection (a busy pool must not make a
 * healthy replica look dead), and decides who is in the rotation.
 *
 * Lag in time is measured against the primary's positions as this monitor saw them: a replica is
 * `t` behind when the oldest primary position it has not replayed was observed `t` ago. Unlike
 * `now() - pg_last_xact_replay_timestamp()`, this stays 0 on an idle primary.
 */
export class ReplicaMonitor {
  readonly states: ReplicaState[];
  private readonly options: Required<ReplicaRoutingOptions>;
  private readonly logger = new Logger('Database:replicas');
  private readonly primary: ProbeTarget;
  private readonly replicas: ProbeTarget[];
  private readonly primaryHistory: { lsn: Lsn; at: number }[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(primaryUrl: string, replicaUrls: string[], options: ReplicaRoutingOptions = {}) {
    this.options = { ...ROUTING_DEFAULTS, ...options };
    this.primary = { url: primaryUrl };
    this.replicas = replicaUrls.map((url) => ({ url }));
    this.states = replicaUrls.map((_, index) => initialReplicaState(`replica-${index + 1}`));
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
    await Promise.all([this.primary, ...this.replicas].map((target) => this.disconnect(target)));
  }

  /** One probe round; rounds never overlap. */
  probe(): Promise<void> {
    this.running ??= this.probeRound().finally(() => (this.running = undefined));
    return this.running;
  }

  /** A query on this replica failed to connect: out at once, back only after good probes. */
  markFailed(index: number, reason: string): void {
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
    const primaryLsn = await this.timed(this.primary, 'SELECT pg_current_wal_flush_lsn()::text AS lsn').then(
      ({ rows }) => parseLsn(rows[0].lsn as string),
      () => undefined,
    );
    const now = Date.now();
    if (primaryLsn !== undefined) {
      this.primaryHistory.push({ lsn: primaryLsn, at: now });
      if (this.primaryHistory.length > LSN_HISTORY) this.primaryHistory.shift();
    }
    await Promise.all(this.replicas.map((target, index) => this.probeReplica(target, this.states[index], primaryLsn)));
    this.applySlowness();
  }

  private async probeReplica(target: ProbeTarget, state: ReplicaState, primaryLsn: Lsn | undefined): Promise<void> {
    const started = performance.now();
    let row: { recovery: boolean; replay: string | null };
    try {
      const result = await this.timed(
        target,
        'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replay',
      );
      row = result.rows[0];
    } catch (error) {
      this.setOut(state, `probe failed: ${(error as Error).message}`);
      return;
    }
    state.probeLatencyMs = performance.now() - started;
    state.lastProbeAt = Date.now();
    if (!row.recovery || !row.replay) {
      this.setOut(state, 'not in recovery (promoted, or not a replica)');
      return;
    }
    state.replayLsn = parseLsn(row.replay);
    state.lagBytes =
      primaryLsn !== undefined && primaryLsn > state.replayLsn ? Number(primaryLsn - state.replayLsn) : 0;
    const oldestUnreplayed = this.primaryHistory.find((sample) => sample.lsn > state.replayLsn!);
    state.lagSeconds = oldestUnreplayed ? (Date.now() - oldestUnreplayed.at) / 1000 : 0;

    if (state.lagSeconds * 1000 > this.options.maxLagMs || state.lagBytes > this.options.maxLagBytes) {
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

  private async timed(target: ProbeTarget, sql: string): Promise<pg.QueryResult> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        (async () => {
          target.client ??= await this.connect(target.url);
          return target.client.query(sql);
        })(),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`timed out after ${this.options.probeTimeoutMs} ms`)),
            this.options.probeTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      await this.disconnect(target);
      throw error;
    } finally {
      clearTimeout(timeout);
    }
  }

  private async connect(url: string): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: url,
      application_name: 'store-api:replica-probe',
      connectionTimeoutMillis: this.options.probeTimeoutMs,
      statement_timeout: this.options.probeTimeoutMs,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  private async disconnect(target: ProbeTarget): Promise<void> {
    const client = target.client;
    target.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

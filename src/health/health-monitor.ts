import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { AppConfig } from '../config/index.js';
import { ReadinessProbes } from './readiness.probes.js';

/** The results of one probe round, and when it started. */
export interface ProbeRound {
  results: HealthIndicatorResult[];
  at: number;
}

/**
 * Runs the readiness probes every HEALTH_PROBE_INTERVAL_MS, off the request path (a flood of
 * readiness requests costs no query, no Redis call, no pool checkout), and keeps the last round.
 * The first round runs before the application finishes booting, so readiness never answers from
 * nothing; rounds never overlap; shutdown waits for the round in flight.
 */
@Injectable()
export class HealthMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Health');
  private last?: ProbeRound;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly probes: ReadinessProbes,
    private readonly config: AppConfig,
  ) {}

  /**
   * A round older than this counts as down: the loop has stalled. Three intervals, plus one
   * check's timeout (a round may take that long).
   */
  get staleAfterMs(): number {
    return 3 * this.config.HEALTH_PROBE_INTERVAL_MS + this.config.HEALTH_CHECK_TIMEOUT_MS;
  }

  /** The last completed round; undefined before the first one and after shutdown. */
  latest(): ProbeRound | undefined {
    return this.last;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
    this.last = undefined;
  }

  /** Probes once, then every interval. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.probe(), this.config.HEALTH_PROBE_INTERVAL_MS);
    this.timer.unref();
    await this.probe();
  }

  /** No more rounds (the last one's results age from now on); waits for the round in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round now (the next tick skips it if this one is still running). */
  probe(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const at = Date.now();
    try {
      const results = await this.probes.all();
      this.logChanges(this.last?.results ?? [], results);
      this.last = { results, at };
    } catch (error) {
      // Probes report failures as results; should one throw, the last round ages into "down".
      this.logger.error(`probe round failed: ${(error as Error).stack}`);
    }
  }

  /** One line per check whose status changed, not one per round (replicas: the replica monitor logs theirs). */
  private logChanges(before: HealthIndicatorResult[], after: HealthIndicatorResult[]): void {
    const previous = new Map(before.flatMap((result) => Object.entries(result)));
    for (const [name, { status, message, inRotation }] of after.flatMap((result) => Object.entries(result))) {
      if (inRotation !== undefined) continue;
      const was = previous.get(name)?.status;
      if (status === was || (was === undefined && status === 'up')) continue;
      const line = `${name}: ${was ?? 'unknown'} → ${status}${message ? ` (${String(message)})` : ''}`;
      if (status === 'up') this.logger.log(line);
      else this.logger.warn(line);
    }
  }
}

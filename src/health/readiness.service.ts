import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { HealthMonitor } from './health-monitor.js';

/** `public`: statuses only (the app port); `full`: every check's detail (the operations port). */
export type ReadinessDetail = 'public' | 'full';

export interface Readiness {
  /** 200 when ok or degraded; 503 when a required check is down, before the first probe, or when shutting down. */
  statusCode: 200 | 503;
  /** The Terminus report. */
  body: HealthCheckResult;
}

/**
 * Readiness from the health monitor's last round, as a Terminus report: no query, no Redis call,
 * no pool checkout. A round older than the monitor's `staleAfterMs` reports every check down.
 */
@Injectable()
export class ReadinessService {
  private draining = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: HealthMonitor,
  ) {}

  async check(detail: ReadinessDetail): Promise<Readiness> {
    let body: HealthCheckResult;
    try {
      body = await this.health.check(this.lastResults());
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      body = error.getResponse() as HealthCheckResult;
    }
    const statusCode = body.status === 'ok' || body.status === 'degraded' ? 200 : 503;
    return { statusCode, body: detail === 'full' ? body : statusesOnly(body) };
  }

  /**
   * Reports not ready from now on (a `shutdown` check down, 503) while the application goes on
   * serving, and resolves after `ms`: time for a balancer's health checks to take this instance
   * out of rotation before it stops accepting requests.
   */
  async drain(ms: number): Promise<void> {
    this.draining = true;
    await sleep(ms);
  }

  private lastResults(): HealthIndicatorFunction[] {
    const results = this.probeResults();
    if (!this.draining) return results;
    return [...results, () => this.indicators.check('shutdown').down({ message: 'draining' })];
  }

  private probeResults(): HealthIndicatorFunction[] {
    const round = this.monitor.latest();
    if (!round) return [() => this.indicators.check('primary').down({ message: 'not probed yet' })];
    const age = Date.now() - round.at;
    if (age <= this.monitor.staleAfterMs) return round.results.map((result) => () => result);
    const message = `no probe result for ${age} ms`;
    return round.results.flatMap((result) =>
      Object.keys(result).map((name) => () => this.indicators.check(name).down({ message })),
    );
  }
}

/** The report without error strings, lag numbers or counts: what anyone on the app port may see. */
function statusesOnly(report: HealthCheckResult): HealthCheckResult {
  const strip = (results?: Partial<HealthIndicatorResult>) =>
    results && Object.fromEntries(Object.entries(results).map(([name, result]) => [name, { status: result!.status }]));
  return {
    status: report.status,
    info: strip(report.info),
    error: strip(report.error),
    details: strip(report.details)!,
  };
}

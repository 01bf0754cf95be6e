import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ApiKeysService } from '../api-keys/index.js';
import { CacheService } from '../cache/index.js';
import { withDeadline } from '../common/deadline.js';
import { Db } from '../database/index.js';
import { PaymentGateway } from '../payments/payment-gateway.js';
import { ALL_QUEUES } from '../queues/queues.constants.js';
import { RateLimitService } from '../rate-limit/index.js';
import { OwnedMetrics } from './metric-registry.js';

type Labels = Record<string, string>;
type Sample = [Labels, number];

const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const;
const circuit = (current: string): Sample[] => CIRCUIT_STATES.map((state) => [{ state }, state === current ? 1 : 0]);

/**
 * Every layer's numbers as Prometheus families, read from the modules' own counters when scraped
 * (no work per request), except query durations (a histogram fed per query). Labels are bounded:
 * pools, replicas, namespaces, policies, queues and states are defined in code or config, never ids.
 */
@Injectable()
export class InfraMetrics implements OnModuleInit, OnModuleDestroy {
  private stopQueryFeed?: () => void;
  private readonly metrics = new OwnedMetrics();

  constructor(
    private readonly db: Db,
    private readonly cache: CacheService,
    private readonly limiter: RateLimitService,
    private readonly apiKeys: ApiKeysService,
    private readonly gateway: PaymentGateway,
    @Inject(ALL_QUEUES) private readonly queues: Queue[],
  ) {}

  onModuleInit(): void {
    const queryDuration = this.metrics.histogram({
      name: 'db_query_duration_seconds',
      help: 'Database query duration by pool and operation',
      labelNames: ['pool', 'operation', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    });
    this.stopQueryFeed = this.db.stats.onQuery((query) =>
      queryDuration.observe(
        { pool: query.pool, operation: query.operation, outcome: query.failed ? 'error' : 'ok' },
        query.durationMs / 1000,
      ),
    );
    this.database();
    this.cacheFamilies();
    const rateLimits = this.limiter.stats;
    this.counterFrom('rate_limit_rejections_total', 'Requests refused (429) by policy', ['policy'], () =>
      [...rateLimits.rejected].map(([policy, value]) => [{ policy }, value]),
    );
    this.counterFrom(
      'rate_limit_decisions_total',
      'Rate-limit decisions (one per request and policy) by where they were made: a local lease, a Redis call, a refusal remembered locally',
      ['decided_by'],
      () => Object.entries(rateLimits.decided).map(([by, value]) => [{ decided_by: by }, value]),
    );
    this.counterFrom(
      'rate_limit_redis_calls_total',
      'Calls to the rate-limit Redis (each decides a batch of requests)',
      [],
      () => [[{}, this.limiter.redisCalls]],
    );
    this.counterFrom(
      'rate_limit_store_unavailable_total',
      'Requests decided without Redis, by outcome',
      ['outcome'],
      () => [
        [{ outcome: 'fail_open' }, rateLimits.failOpen],
        [{ outcome: 'fail_closed' }, rateLimits.failClosed],
      ],
    );
    this.counterFrom(
      'api_key_verifications_total',
      'API keys verified, by how: refused on the tag alone, answered from memory, looked up',
      ['outcome'],
      () => [
        [{ outcome: 'refused_by_tag' }, this.apiKeys.stats.refusedByTag],
        [{ outcome: 'from_memory' }, this.apiKeys.stats.fromMemory],
        [{ outcome: 'lookup' }, this.apiKeys.stats.lookups],
      ],
    );
    this.gaugeFrom(
      'payment_gateway_circuit_state',
      'Payment provider circuit breaker (1 = current state)',
      ['state'],
      () => circuit(this.gateway.circuit),
    );
    this.gaugeFrom('queue_jobs', 'Jobs by queue and state', ['queue', 'state'], () => this.queueCounts());
  }

  onModuleDestroy(): void {
    this.stopQueryFeed?.();
    this.metrics.release();
  }

  /** A counter whose value is read from a module's own counters at scrape time. */
  private counterFrom(name: string, help: string, labelNames: string[], read: () => Sample[]): void {
    this.metrics.counter({
      name,
      help,
      labelNames,
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** A gauge read at scrape time (sync or async). */
  private gaugeFrom(name: string, help: string, labelNames: string[], read: () => Sample[] | Promise<Sample[]>): void {
    this.metrics.gauge({
      name,
      help,
      labelNames,
      async collect() {
        const samples = await read();
        this.reset();
        for (const [labels, value] of samples) this.set(labels, value);
      },
    });
  }

  private database(): void {
    this.gaugeFrom('db_pool_connections', 'Pool connections by pool and state', ['pool', 'state'], () =>
      this.db.snapshot().pools.flatMap((pool) => [
        [{ pool: pool.name, state: 'total' }, pool.total],
        [{ pool: pool.name, state: 'idle' }, pool.idle],
        [{ pool: pool.name, state: 'waiting' }, pool.waiting],
      ]),
    );
    this.counterFrom(
      'db_round_trips_total',
      'Statements sent to the database by pool (each a round trip: BEGIN and COMMIT count)',
      ['pool'],
      () => Object.entries(this.db.stats.roundTrips).map(([pool, value]) => [{ pool }, value]),
    );
    this.counterFrom('db_slow_queries_total', 'Queries slower than DB_SLOW_QUERY_MS by pool', ['pool'], () =>
      Object.entries(this.db.snapshot().slowQueries).map(([pool, value]) => [{ pool }, value]),
    );
    this.counterFrom('db_routing_decisions_total', 'Where reads went, and why', ['decision'], () =>
      Object.entries(this.db.snapshot().routing).map(([decision, value]) => [{ decision }, value]),
    );
    const replicas = () => this.db.snapshot().replicas;
    this.gaugeFrom('db_replica_lag_bytes', 'Replica replay lag in WAL bytes', ['replica'], () =>
      replicas().map((replica) => [{ replica: replica.name }, replica.lagBytes]),
    );
    this.gaugeFrom('db_replica_lag_seconds', 'Replica replay lag in seconds', ['replica'], () =>
      replicas().map((replica) => [{ replica: replica.name }, replica.lagSeconds]),
    );
    this.gaugeFrom('db_replica_in_rotation', 'Whether the replica serves reads (1) or not (0)', ['replica'], () =>
      replicas().map((replica) => [{ replica: replica.name }, replica.inRotation ? 1 : 0]),
    );
  }

  private cacheFamilies(): void {
    const namespaces = () => Object.entries(this.cache.stats.snapshot().namespaces);
    this.counterFrom(
      'cache_requests_total',
      'Cache lookups by layer, namespace and result',
      ['layer', 'namespace', 'result'],
      () =>
        namespaces().flatMap(([namespace, counters]) =>
          (['l1', 'l2'] as const).flatMap((layer): Sample[] => [
            [{ layer, namespace, result: 'hit' }, counters.hits[layer]],
            [{ layer, namespace, result: 'miss' }, counters.misses[layer]],
          ]),
        ),
    );
    this.counterFrom(
      'cache_stale_served_total',
      'Stale values served (revalidating or source failing)',
      ['namespace'],
      () => namespaces().map(([namespace, counters]) => [{ namespace }, counters.staleServed]),
    );
    this.counterFrom(
      'cache_loads_total',
      'Misses that called the loader (went to the source of truth)',
      ['namespace'],
      () => namespaces().map(([namespace, counters]) => [{ namespace }, counters.loads]),
    );
    this.counterFrom(
      'cache_lock_waits_total',
      'Misses that waited for another loader (stampede lock)',
      ['namespace'],
      () => namespaces().map(([namespace, counters]) => [{ namespace }, counters.lockWaits]),
    );
    this.counterFrom(
      'cache_warmed_entries_total',
      'Entries warm-ups wrote to Redis (an entry already there is kept)',
      ['namespace'],
      () => namespaces().map(([namespace, counters]) => [{ namespace }, counters.warmed]),
    );
    this.counterFrom('cache_redis_errors_total', 'Failed Redis commands of the cache', [], () => [
      [{}, this.cache.stats.snapshot().redisErrors],
    ]);
    this.gaugeFrom('cache_circuit_state', 'Cache Redis circuit breaker (1 = current state)', ['state'], () =>
      circuit(this.cache.circuit),
    );
  }

  private async queueCounts(): Promise<Sample[]> {
    const states = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
    const counts = await Promise.all(
      this.queues.map((queue) => withDeadline(queue.getJobCounts(...states), 500).catch(() => null)),
    );
    return this.queues.flatMap((queue, index): Sample[] =>
      counts[index] ? states.map((state) => [{ queue: queue.name, state }, counts[index]![state] ?? 0]) : [],
    );
  }
}

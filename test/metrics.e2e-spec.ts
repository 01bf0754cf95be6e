import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { freePort } from './support/free-port.js';
import { createTestApp } from './support/test-app.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, strictly enough to fail on a malformed line. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const type = /^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (-?[\d.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { samples, types };
}

describe('GET /metrics on the operations port (e2e: after real traffic)', () => {
  let app: NestFastifyApplication;
  let metrics: ReturnType<typeof parse>;
  const value = (name: string, labels: Record<string, string> = {}) =>
    metrics.samples
      .filter((sample) => sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v))
      .reduce((sum, sample) => sum + sample.value, 0);
  const has = (name: string) => metrics.samples.some((sample) => sample.name === name);

  beforeAll(async () => {
    const opsPort = await freePort();
    app = await createTestApp({ OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1' });
    for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url: `/products/${1 + (i % 3)}` });
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: `/products?limit=${2 + i}` });
    await app.inject({ method: 'GET', url: '/products/99999999' });
    await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody@example.com', password: 'x' } });
    await app.inject({ method: 'GET', url: '/no-such-route' });
    await app.inject({ method: 'GET', url: '/health/ready' });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const response = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.headers.get('ratelimit')).toBeNull();
    metrics = parse(await response.text());
  });

  afterAll(async () => {
    await app?.close();
  });

  it('counts requests and their latency by route template and status', () => {
    expect(metrics.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(metrics.types.get('http_requests_total')).toBe('counter');
    expect(
      value('http_requests_total', { method: 'GET', route: '/products/:id', status_code: '200' }),
    ).toBeGreaterThanOrEqual(20);
    expect(value('http_requests_total', { route: '/products/:id', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(value('http_requests_total', { route: '/auth/login', status_code: '401' })).toBeGreaterThanOrEqual(1);
    expect(value('http_requests_total', { route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(value('http_request_duration_seconds_count', { route: '/products/:id' })).toBeGreaterThanOrEqual(21);
    const sum = value('http_request_duration_seconds_sum', { route: '/products/:id' });
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(60);
  });

  it('keeps label values bounded: route templates, never ids or query strings', () => {
    const routes = new Set(metrics.samples.flatMap((sample) => (sample.labels.route ? [sample.labels.route] : [])));
    for (const route of routes) expect(route, route).not.toMatch(/\/\d+|\?/);
  });

  it('reports the cache by layer and namespace, and its circuit', () => {
    expect(value('cache_requests_total', { layer: 'l1', namespace: 'products', result: 'hit' })).toBeGreaterThan(0);
    expect(value('cache_requests_total', { namespace: 'products', result: 'miss' })).toBeGreaterThan(0);
    for (const family of [
      'cache_stale_served_total',
      'cache_loads_total',
      'cache_lock_waits_total',
      'cache_warmed_entries_total',
      'cache_redis_errors_total',
    ])
      expect(metrics.types.get(family), family).toBe('counter');
    expect(value('cache_circuit_state', { state: 'closed' })).toBe(1);
  });

  it('reports pools, queries, routing and replicas', () => {
    expect(value('db_pool_connections', { pool: 'primary', state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(value('db_pool_connections', { pool: 'replica-1', state: 'total' })).toBeGreaterThanOrEqual(0);
    expect(value('db_query_duration_seconds_count')).toBeGreaterThan(0);
    expect(value('db_round_trips_total', { pool: 'primary' })).toBeGreaterThan(0);
    expect(value('db_routing_decisions_total', { decision: 'replica' })).toBeGreaterThan(0);
    expect(metrics.types.get('db_slow_queries_total')).toBe('counter');
    for (const replica of ['replica-1', 'replica-2']) {
      expect(value('db_replica_in_rotation', { replica })).toBe(1);
      expect(value('db_replica_lag_bytes', { replica })).toBeGreaterThanOrEqual(0);
      expect(value('db_replica_lag_seconds', { replica })).toBeLessThan(5);
    }
  });

  it('reports rate limits, the payment breaker, queues and the Node process', () => {
    expect(metrics.types.get('rate_limit_rejections_total')).toBe('counter');
    expect(value('rate_limit_store_unavailable_total', { outcome: 'fail_open' })).toBeGreaterThanOrEqual(0);
    expect(value('payment_gateway_circuit_state', { state: 'closed' })).toBe(1);
    for (const queue of ['charges', 'emails', 'refunds'])
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(has('queue_jobs') && value('queue_jobs', { queue, state }) >= 0, `${queue} ${state}`).toBe(true);
    expect(metrics.samples.filter((sample) => sample.name === 'queue_jobs')).toHaveLength(15);
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(1_000_000);
  });

  it('backs every panel of the Grafana dashboard with a family the API (or the worker) exports', () => {
    const dashboard = JSON.parse(readFileSync('ops/grafana/dashboards/store-api.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const workerFamilies = new Set(['queue_job_duration_seconds', 'queue_jobs_stalled_total']); // worker.e2e reads them
    const notMetrics = new Set(['histogram_quantile', 'clamp_min', 'status_code']);
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const names = [...expr.matchAll(/\b[a-z]+(?:_[a-z0-9]+)+\b/g)].map((match) => match[0]);
        const families = names
          .filter((name) => !notMetrics.has(name))
          .map((name) => name.replace(/_(bucket|count|sum)$/, ''));
        expect(families.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const family of families)
          expect(metrics.types.has(family) || workerFamilies.has(family), `${panel.title}: ${family}`).toBe(true);
      }
    }
  });
});

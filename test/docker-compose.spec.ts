import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { appConfigSchema } from '../src/config/app-config.schema.js';
import { loadAppConfig, loadDatabaseUrl } from '../src/config/load-app-config.js';

interface Service {
  image?: string;
  build?: unknown;
  init?: boolean;
  restart?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
}

const raw = readFileSync('docker-compose.yml', 'utf8');
/** What `docker compose` reads from the shell or .env here: the one setting it requires. */
const SHELL = { JWT_SECRET: 'a-secret-of-the-users-own-0123456789abcdef' };
/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (which fails when NAME is unset). */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_whole, name: string, kind?: string, rest = '') => {
    if (env[name]) return env[name];
    if (kind === '-') return rest;
    throw new Error(`${name}: ${rest || 'unset'}`);
  });
}
const compose = parse(interpolate(raw, SHELL), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const commandOf = (service: Service) => [service.command ?? []].flat().join(' ');

describe('docker-compose.yml', () => {
  it('has the primary, two replicas, both Redis roles and the api', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'postgres-primary',
        'postgres-replica-1',
        'postgres-replica-2',
        'redis-cache',
        'redis-queue',
        'api',
        'worker',
      ]),
    );
  });

  it('gives every service an image (or a build), and a healthcheck to each that stays up', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, `${name} image`).toBeTruthy();
      // A one-shot (restart: no) is waited for by its exit code, not its health.
      if (service.restart === 'no') expect(service.healthcheck, name).toEqual({ disable: true });
      else expect([service.healthcheck?.test ?? []].flat().length, `${name} healthcheck`).toBeGreaterThan(0);
    }
    expect(services['postgres-primary'].image).toMatch(/^postgres:15/);
    expect(services['redis-cache'].image).toMatch(/^redis:/);
  });

  it('makes the replicas real streaming replicas of the primary', () => {
    for (const name of ['postgres-replica-1', 'postgres-replica-2']) {
      const replica = services[name];
      expect(replica.environment?.PRIMARY_HOST).toBe('postgres-primary');
      expect(replica.depends_on?.['postgres-primary']?.condition).toBe('service_healthy');
      expect([replica.healthcheck?.test].flat().join(' ')).toContain('pg_is_in_recovery');
    }
    const entrypoint = readFileSync('docker/postgres/replica-entrypoint.sh', 'utf8');
    expect(entrypoint).toMatch(/pg_basebackup .*-R .*-X stream/);
  });

  it('lets the cache evict and never the queue', () => {
    expect(commandOf(services['redis-cache'])).toMatch(/--maxmemory \S+/);
    expect(commandOf(services['redis-cache'])).toContain('--maxmemory-policy allkeys-lru');
    expect(commandOf(services['redis-queue'])).toContain('--maxmemory-policy noeviction');
    expect(commandOf(services['redis-queue'])).toContain('--appendonly yes');
  });

  it.each(['api', 'worker'])(
    "gives the %s only the config schema's keys, every connection URL, and values the schema accepts in production",
    (name) => {
      const environment = services[name].environment ?? {};
      const known = Object.keys(appConfigSchema.shape);
      for (const key of Object.keys(environment)) expect(known, `${key} is not a setting`).toContain(key);
      for (const key of ['NODE_ENV', 'DATABASE_URL', 'DATABASE_REPLICA_URLS', 'REDIS_CACHE_URL', 'REDIS_QUEUE_URL']) {
        expect(environment[key], key).toBeTruthy();
      }
      const config = loadAppConfig(environment);
      expect(config.NODE_ENV).toBe('production');
      expect(config.DATABASE_REPLICA_URLS).toHaveLength(2);
      for (const dependency of [
        'postgres-primary',
        'postgres-replica-1',
        'postgres-replica-2',
        'redis-cache',
        'redis-queue',
        'mailpit',
        'payment-gateway',
      ]) {
        expect(services[name].depends_on?.[dependency]?.condition, dependency).toBe('service_healthy');
      }
    },
  );

  it('provisions Prometheus (every api and worker container, found by DNS), Grafana with the board, and PgBouncer in transaction mode', () => {
    const scrape = parse(readFileSync('ops/prometheus/prometheus.yml', 'utf8')) as {
      scrape_configs: {
        job_name: string;
        metrics_path: string;
        static_configs?: unknown[];
        dns_sd_configs?: { names: string[]; type: string; port: number }[];
      }[];
    };
    // A fixed target would scrape one replica of a scaled service (compose's DNS answers with any one).
    const discovery = (name: string) =>
      scrape.scrape_configs.flatMap((job) => {
        expect(job.static_configs, job.job_name).toBeUndefined();
        expect(job.metrics_path).toBe('/metrics');
        return (job.dns_sd_configs ?? []).filter((config) => config.names.includes(name));
      });
    const api = loadAppConfig(services.api.environment);
    const worker = loadAppConfig(services.worker.environment);
    expect(discovery('api')).toEqual([{ names: ['api'], type: 'A', port: api.OPS_PORT, refresh_interval: '15s' }]);
    expect(discovery('worker')).toEqual([
      { names: ['worker'], type: 'A', port: worker.WORKER_METRICS_PORT, refresh_interval: '15s' },
    ]);
    const grafanaVolumes = (services.grafana as { volumes?: string[] }).volumes ?? [];
    expect(grafanaVolumes.join(' ')).toContain('./ops/grafana/dashboards');
    expect(JSON.parse(readFileSync('ops/grafana/dashboards/store-api.json', 'utf8')).panels.length).toBeGreaterThan(0);
    expect(services.pgbouncer.environment?.POOL_MODE).toBe('transaction');
    expect(Number(services.pgbouncer.environment?.MAX_PREPARED_STATEMENTS)).toBeGreaterThan(0);
  });

  it("checks the api's readiness endpoint", () => {
    expect([services.api.healthcheck?.test].flat().join(' ')).toContain('/health/ready');
  });

  it('publishes only the balancer: the api (scalable), its operations port and the worker metrics port stay inside the network', () => {
    const api = loadAppConfig(services.api.environment);
    const worker = loadAppConfig(services.worker.environment);
    expect(api.OPS_PORT).toBeGreaterThan(0);
    // No fixed host port: `--scale api=3` would have three replicas claim it.
    expect(services.api.ports).toBeUndefined();
    expect(services.api.expose).toEqual([String(api.PORT), String(api.OPS_PORT)]);
    expect(services.balancer.ports).toEqual([`${api.PORT}:${api.PORT}`]);
    expect(services.worker.ports).toBeUndefined();
    expect(services.worker.expose).toEqual([String(worker.WORKER_METRICS_PORT)]);
    // Production defaults: no docs, no metrics on the app port.
    expect(api.DOCS_ENABLED).toBe(false);
    expect(api.METRICS_TOKEN).toBeUndefined();
  });

  it('requires JWT_SECRET from the shell or .env, with no default to fall back on', () => {
    expect(() => interpolate(raw, {})).toThrow(/^JWT_SECRET: set JWT_SECRET/);
    const declared = parse(raw, { merge: true }) as { services: Record<string, Service> };
    for (const name of ['api', 'worker']) {
      expect(declared.services[name].environment?.JWT_SECRET, name).toMatch(/^\$\{JWT_SECRET:\?[^}]+\}$/);
    }
  });

  it('migrates once, seeds on first start, and starts the api and worker only after both succeeded', () => {
    expect(services.migrate.build).toEqual(services.api.build);
    expect(services.migrate.command).toEqual(['node', 'dist/tools/scripts/db/migrate.js']);
    expect(services.migrate.depends_on).toEqual({ 'postgres-primary': { condition: 'service_healthy' } });
    expect(commandOf(services.seed)).toMatch(/scripts\/db\/seed\.ts --scale small --if-empty$/);
    expect(services.seed.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    for (const name of ['migrate', 'seed']) {
      expect(services[name].restart, name).toBe('no');
      expect(loadDatabaseUrl(services[name].environment)).toBe(loadAppConfig(services.api.environment).DATABASE_URL);
    }
    for (const name of ['api', 'worker']) {
      for (const oneShot of ['migrate', 'seed']) {
        expect(services[name].depends_on?.[oneShot]?.condition, `${name} after ${oneShot}`).toBe(
          'service_completed_successfully',
        );
      }
    }
  });

  it('starts Node with no shell in between, so that SIGTERM reaches it (and the API drains)', () => {
    for (const name of ['migrate', 'seed', 'payment-gateway', 'api', 'worker']) {
      const command = services[name].command;
      expect(Array.isArray(command), `${name}: exec form`).toBe(true);
      expect((command as string[])[0], name).toBe('node');
      expect(services[name].init, `${name}: an init reaps zombies and forwards signals`).toBe(true);
    }
  });

  it('publishes the data services, dev stand-ins and dashboards on 127.0.0.1 only; the balancer alone on every interface', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'balancer') continue;
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    for (const name of ['postgres-primary', 'redis-cache', 'redis-queue']) {
      expect(services[name].ports?.length, name).toBeGreaterThan(0);
    }
  });

  it('runs the worker from the same image, with a stop grace period longer than its drain deadline', () => {
    expect(services.worker.build).toEqual(services.api.build);
    expect(commandOf(services.worker)).toBe('node --import ./dist/tracing/register.js dist/worker.js');
    const grace = Number(/^(\d+)s$/.exec(String(services.worker.stop_grace_period))?.[1]);
    expect(grace * 1000).toBeGreaterThan(loadAppConfig(services.worker.environment).WORKER_SHUTDOWN_TIMEOUT_MS);
  });

  describe('the balancer (HAProxy in front of every api replica)', () => {
    const haproxy = readFileSync('ops/haproxy/haproxy.cfg', 'utf8').replace(/^\s*#.*$/gm, '');
    const api = loadAppConfig(services.api.environment);
    const backend = /^backend api$([\s\S]*?)(?=^\S|(?![\s\S]))/m.exec(haproxy)?.[1] ?? '';

    it('mounts its configuration and starts after the api is healthy', () => {
      expect(services.balancer.image).toMatch(/^haproxy:/);
      expect(services.balancer.volumes).toContain('./ops/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
      expect(services.balancer.depends_on?.api?.condition).toBe('service_healthy');
      expect(haproxy).toMatch(new RegExp(`^frontend api$\\s+bind :${api.PORT}$`, 'm'));
    });

    it("finds every replica through Docker's DNS and checks each one's readiness", () => {
      expect(haproxy).toMatch(/^resolvers docker$\s+nameserver dns 127\.0\.0\.11:53$/m);
      expect(backend).toMatch(new RegExp(`^\\s+server-template api \\d+ api:${api.PORT}$`, 'm'));
      expect(backend).toMatch(/^\s+default-server check .*resolvers docker init-addr none$/m);
      expect(backend).toMatch(/^\s+option httpchk GET \/health\/ready$/m);
      expect(backend).toMatch(/^\s+http-check expect status 200$/m);
    });

    it('retries failed connections on another replica, and a request that reached one only if idempotent', () => {
      expect(haproxy).toMatch(/^\s+retries [1-9]$/m);
      expect(haproxy).toMatch(/^\s+option redispatch 1$/m);
      expect(haproxy).toMatch(/^\s+retry-on conn-failure empty-response/m);
      expect(backend).toMatch(/^\s+acl idempotent method GET HEAD OPTIONS PUT DELETE$/m);
      expect(backend).toMatch(/^\s+http-request disable-l7-retry unless idempotent$/m);
    });

    it('drains longer than the balancer needs to take a replica out, and Docker waits for the drain', () => {
      const check = /^\s+default-server check inter (\d+)s fall (\d+)/m.exec(backend);
      expect(check).not.toBeNull();
      const outAfterMs = Number(check![1]) * 1000 * Number(check![2]);
      expect(api.SHUTDOWN_DRAIN_MS).toBeGreaterThan(outAfterMs);
      const grace = Number(/^(\d+)s$/.exec(String(services.api.stop_grace_period))?.[1]) * 1000;
      expect(grace).toBeGreaterThan(api.SHUTDOWN_DRAIN_MS + 5_000);
    });

    it("gives the api each client's address from the balancer, never one the client sent", () => {
      expect(haproxy).toMatch(/^\s+http-request set-header X-Forwarded-For %\[src\]$/m);
      expect(api.TRUST_PROXY).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    });
  });
});

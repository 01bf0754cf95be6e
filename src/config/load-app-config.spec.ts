import { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PAYMENT_TOKEN_KEY } from './app-config.schema.js';
import { InvalidConfigError, loadAppConfig, loadDatabaseUrl } from './load-app-config.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://app:secret@db:5432/store',
  REDIS_CACHE_URL: 'redis://cache:6379',
  REDIS_QUEUE_URL: 'redis://queue:6379',
  JWT_SECRET: 'a-production-secret-of-at-least-32-chars',
  SMTP_URL: 'smtp://mail:587',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as InvalidConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadAppConfig', () => {
  it('gives development the local services and defaults', () => {
    const config = loadAppConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 3000,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/store',
      REDIS_CACHE_URL: 'redis://127.0.0.1:6380',
      REDIS_QUEUE_URL: 'redis://127.0.0.1:6379',
    });
    expect(config.DATABASE_REPLICA_URLS).toEqual([
      'postgresql://postgres@127.0.0.1:5433/store',
      'postgresql://postgres@127.0.0.1:5434/store',
    ]);
  });

  it('listens on every interface in production, on this machine only by default elsewhere', () => {
    expect(loadAppConfig({ ...PRODUCTION }).HOST).toBe('0.0.0.0');
    expect(loadAppConfig({ NODE_ENV: 'test' }).HOST).toBe('127.0.0.1');
  });

  it('refuses the public development secret where others can reach the API, and says what to set', () => {
    for (const HOST of ['0.0.0.0', '::', '192.168.1.20', 'api.example.com']) {
      const [problem, ...others] = problemsOf({ HOST });
      expect(others).toEqual([]);
      expect(problem).toMatch(/^JWT_SECRET: is the public development secret/);
      expect(problem).toContain(`HOST=${HOST}`);
      expect(problem).toMatch(/set JWT_SECRET to a secret of your own.*or HOST=127\.0\.0\.1/);
      expect(problem).not.toContain(DEVELOPMENT_JWT_SECRET);
    }
    expect(problemsOf({ ...PRODUCTION, JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toEqual([
      expect.stringMatching(/^JWT_SECRET: is the public development secret; set JWT_SECRET to a secret of your own/),
    ]);
    expect(problemsOf({ ...PRODUCTION, HOST: '127.0.0.1', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toHaveLength(1);
  });

  it('allows the development secret on loopback, in tests, and any real secret anywhere', () => {
    for (const HOST of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(loadAppConfig({ HOST }).HOST).toBe(HOST);
    expect(loadAppConfig({ NODE_ENV: 'test', HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(loadAppConfig({ HOST: '0.0.0.0', JWT_SECRET: PRODUCTION.JWT_SECRET }).HOST).toBe('0.0.0.0');
  });

  it('points tests at their own database', () => {
    expect(loadAppConfig({ NODE_ENV: 'test' }).DATABASE_URL).toMatch(/\/store_test$/);
  });

  it('parses replica lists, trimming blanks, and allows none', () => {
    expect(loadAppConfig({ ...PRODUCTION }).DATABASE_REPLICA_URLS).toEqual([]);
    expect(
      loadAppConfig({ ...PRODUCTION, DATABASE_REPLICA_URLS: ' postgres://r1/store , ,postgresql://r2/store' })
        .DATABASE_REPLICA_URLS,
    ).toEqual(['postgres://r1/store', 'postgresql://r2/store']);
  });

  it('requires every connection URL and the JWT secret in production, naming each', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(5);
    for (const key of ['DATABASE_URL', 'REDIS_CACHE_URL', 'REDIS_QUEUE_URL', 'JWT_SECRET', 'SMTP_URL']) {
      expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${key}: required in production`)));
    }
  });

  it('takes Redis Cluster seed nodes instead of a URL, per role', () => {
    const config = loadAppConfig({
      ...PRODUCTION,
      REDIS_CACHE_URL: '',
      REDIS_CACHE_CLUSTER_NODES: 'cache-1:7001, rediss://app:secret@cache-2:7002',
    });
    expect(config.REDIS_CACHE_URL).toBeUndefined();
    expect(config.REDIS_CACHE_CLUSTER_NODES).toEqual(['redis://cache-1:7001', 'rediss://app:secret@cache-2:7002']);
    expect(config.REDIS_QUEUE_CLUSTER_NODES).toEqual([]);
    expect(problemsOf({ ...PRODUCTION, REDIS_QUEUE_URL: '' })).toEqual([
      'REDIS_QUEUE_URL: required in production (no local default); or set REDIS_QUEUE_CLUSTER_NODES for a Redis Cluster',
    ]);
    expect(problemsOf({ ...PRODUCTION, REDIS_QUEUE_CLUSTER_NODES: 'redis://:hunter2@q:1,http://q:2' })).toEqual([
      'REDIS_QUEUE_CLUSTER_NODES: must be a redis:// or rediss:// URL (got "redis://:***@q:1,http://q:2")',
    ]);
  });

  it('names each bad key with the reason and the value given', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      NODE_ENV: 'staging',
      REDIS_CACHE_URL: 'http://cache',
      DATABASE_REPLICA_URLS: 'postgresql://ok/db,mysql://nope/db',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: .*"eighty"/),
        expect.stringMatching(/^LOG_LEVEL: .*"loud"/),
        expect.stringMatching(/^NODE_ENV: .*"staging"/),
        expect.stringMatching(/^REDIS_CACHE_URL: must be a redis:\/\/ or rediss:\/\/ URL/),
        expect.stringMatching(/^DATABASE_REPLICA_URLS: must be a postgresql:\/\/ URL/),
      ]),
    );
  });

  it('refuses a short JWT secret, without repeating it', () => {
    expect(problemsOf({ ...PRODUCTION, JWT_SECRET: 'short' })).toEqual([
      'JWT_SECRET: must be at least 32 characters (got "***")',
    ]);
  });

  it('refuses a short API key secret without repeating it; an unset one is fine', () => {
    expect(problemsOf({ ...PRODUCTION, API_KEY_SECRET: 'short-secret' })).toEqual([
      'API_KEY_SECRET: must be at least 32 characters (got "***")',
    ]);
    expect(loadAppConfig(PRODUCTION).API_KEY_SECRET).toBeUndefined();
  });

  it('refuses the public payment-token key in production, a short one anywhere, without repeating either', () => {
    const [problem, ...others] = problemsOf({ ...PRODUCTION, PAYMENT_TOKEN_KEY: DEVELOPMENT_PAYMENT_TOKEN_KEY });
    expect(others).toEqual([]);
    expect(problem).toMatch(/^PAYMENT_TOKEN_KEY: is the public development key; set a key of your own/);
    expect(problem).not.toContain(DEVELOPMENT_PAYMENT_TOKEN_KEY);
    expect(problemsOf({ PAYMENT_TOKEN_KEY: 'short-key' })).toEqual([
      'PAYMENT_TOKEN_KEY: must be at least 32 characters (got "***")',
    ]);
    // Unset: derived from JWT_SECRET (see PaymentTokenCipher); the public key is fine outside production.
    expect(loadAppConfig(PRODUCTION).PAYMENT_TOKEN_KEY).toBeUndefined();
    expect(loadAppConfig({ PAYMENT_TOKEN_KEY: DEVELOPMENT_PAYMENT_TOKEN_KEY }).PAYMENT_TOKEN_KEY).toBe(
      DEVELOPMENT_PAYMENT_TOKEN_KEY,
    );
  });

  it('runs the payment reconciliation sweep every minute, except in tests unless asked', () => {
    expect(loadAppConfig(PRODUCTION)).toMatchObject({
      PAYMENT_RECONCILE_INTERVAL_MS: 60_000,
      PAYMENT_RECONCILE_AFTER_MS: 900_000,
      PAYMENT_PENDING_MAX_MS: 86_400_000,
    });
    expect(loadAppConfig({ NODE_ENV: 'test' }).PAYMENT_RECONCILE_INTERVAL_MS).toBe(0);
    expect(
      loadAppConfig({ NODE_ENV: 'test', PAYMENT_RECONCILE_INTERVAL_MS: '500' }).PAYMENT_RECONCILE_INTERVAL_MS,
    ).toBe(500);
  });

  it('never repeats a secret or a token', () => {
    const problems = problemsOf({ ...PRODUCTION, JWT_SECRET: 'hunter2', METRICS_TOKEN: 'hunter3' });
    expect(problems).toEqual([
      'JWT_SECRET: must be at least 32 characters (got "***")',
      'METRICS_TOKEN: must be at least 16 characters (got "***")',
    ]);
  });

  it('serves the operations port and the docs by default, the docs off in production', () => {
    const development = loadAppConfig({});
    expect(development).toMatchObject({ OPS_PORT: 9400, HEALTH_PROBE_INTERVAL_MS: 1_000, DOCS_ENABLED: true });
    expect(development.OPS_HOST).toBeUndefined();
    expect(development.METRICS_TOKEN).toBeUndefined();
    expect(loadAppConfig({ NODE_ENV: 'test' }).DOCS_ENABLED).toBe(true);
    expect(loadAppConfig(PRODUCTION).DOCS_ENABLED).toBe(false);
    expect(loadAppConfig({ ...PRODUCTION, DOCS_ENABLED: 'true' }).DOCS_ENABLED).toBe(true);
    expect(loadAppConfig({ DOCS_ENABLED: 'false' }).DOCS_ENABLED).toBe(false);
    expect(loadAppConfig({ OPS_PORT: '0' }).OPS_PORT).toBe(0);
  });

  it('rejects out-of-range ports', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('never repeats a password from a bad URL', () => {
    const [problem] = problemsOf({ ...PRODUCTION, DATABASE_URL: 'mysql://app:hunter2@db/store' });
    expect(problem).toContain('DATABASE_URL');
    expect(problem).not.toContain('hunter2');
  });

  it('retention: 24 h keys and 7-day outbox by default; email records must outlive the jobs', () => {
    expect(loadAppConfig({})).toMatchObject({
      RETENTION_IDEMPOTENCY_KEYS_S: 86_400,
      RETENTION_OUTBOX_EVENTS_S: 604_800,
      RETENTION_BATCH_SIZE: 1_000,
    });
    expect(problemsOf({ RETENTION_FAILED_JOBS_S: '2592001' })).toEqual([
      'RETENTION_FAILED_JOBS_S: must be at most RETENTION_EMAIL_DELIVERIES_S (2592000 s): a retried job would send its email again (got "2592001")',
    ]);
    expect(problemsOf({ RETENTION_EMAIL_DELIVERIES_S: '86400' })).toEqual([
      'RETENTION_EMAIL_DELIVERIES_S: must be at least RETENTION_FAILED_JOBS_S (604800 s): a retried job would send its email again (got "86400")',
    ]);
    expect(loadAppConfig({ RETENTION_FAILED_JOBS_S: '2592000' }).RETENTION_FAILED_JOBS_S).toBe(2_592_000);
  });

  it('treats an empty variable as unset', () => {
    expect(loadAppConfig({ PORT: '' }).PORT).toBe(3000);
    expect(loadAppConfig({ NODE_ENV: '' })).toMatchObject({
      NODE_ENV: 'development',
      DATABASE_URL: expect.stringMatching(/\/store$/),
    });
  });
});

describe('loadDatabaseUrl', () => {
  it('needs only the database URL', () => {
    expect(loadDatabaseUrl({ NODE_ENV: 'production', DATABASE_URL: PRODUCTION.DATABASE_URL })).toBe(
      PRODUCTION.DATABASE_URL,
    );
    expect(() => loadDatabaseUrl({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: required in production/);
  });
});

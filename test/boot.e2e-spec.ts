import { randomBytes } from 'node:crypto';
import { runBuilt, startApi } from './support/app-process.js';
import { runScript } from './support/run.js';
import { testConfig } from './support/test-app.js';

describe('boot with bad configuration', () => {
  it('exits non-zero with one message naming each bad key', async () => {
    const result = await runScript('src/main.ts', [], {
      NODE_ENV: 'development',
      PORT: 'not-a-port',
      REDIS_QUEUE_URL: 'http://wrong-scheme',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Invalid configuration:/m);
    expect(result.stderr).toMatch(/PORT: .*"not-a-port"/);
    expect(result.stderr).toMatch(/REDIS_QUEUE_URL: must be a redis:\/\//);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names every missing connection setting in production', async () => {
    const result = await runScript('src/main.ts', [], {
      NODE_ENV: 'production',
      DATABASE_URL: '',
      REDIS_CACHE_URL: '',
      REDIS_QUEUE_URL: '',
    });
    expect(result.code).toBe(1);
    for (const key of ['DATABASE_URL', 'REDIS_CACHE_URL', 'REDIS_QUEUE_URL']) {
      expect(result.stderr).toContain(`${key}: required in production`);
    }
  });
});

describe('the public development secret (the built API and worker, no NODE_ENV)', () => {
  const test = testConfig();
  // Development mode on the test database (this machine has no `store` database).
  const development = {
    NODE_ENV: '',
    DATABASE_URL: test.DATABASE_URL,
    DATABASE_REPLICA_URLS: test.DATABASE_REPLICA_URLS.join(','),
    QUEUE_PREFIX: test.QUEUE_PREFIX,
    CACHE_WARM_TOP_PRODUCTS: '0',
    JWT_SECRET: '',
  };

  it('refuses to start on 0.0.0.0 with it, saying what to set (API and worker)', async () => {
    for (const script of ['dist/main.js', 'dist/worker.js']) {
      const { code, output } = await runBuilt(script, { ...development, HOST: '0.0.0.0', PORT: '3972' });
      expect(code, output).toBe(1);
      expect(output).toMatch(/^Invalid configuration:/m);
      expect(output).toMatch(/JWT_SECRET: is the public development secret and HOST=0\.0\.0\.0 lets other machines in/);
      expect(output).toMatch(/set JWT_SECRET to a secret of your own .* or HOST=127\.0\.0\.1/);
      expect(output).not.toContain('local-development-secret');
      expect(output).not.toMatch(/\n\s+at /);
    }
  });

  it('starts with it on loopback, the default host', async () => {
    const api = await startApi(3973, { ...development, HOST: '', LOG_LEVEL: 'info' });
    try {
      expect(api.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:3973 \(development\)/);
    } finally {
      await api.stop();
    }
  });

  it('starts on 0.0.0.0 with a secret of its own', async () => {
    const secret = randomBytes(36).toString('base64url');
    const api = await startApi(3974, { ...development, HOST: '0.0.0.0', JWT_SECRET: secret, LOG_LEVEL: 'info' });
    try {
      expect(api.output()).toMatch(/listening on http:\/\/[^ ]+:3974 \(development\)/);
    } finally {
      await api.stop();
    }
  });
});

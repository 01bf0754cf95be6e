import { runScript } from './support/run.js';

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

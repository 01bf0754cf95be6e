import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { appConfigSchema } from './app-config.schema.js';
import { withEnvFile } from './env-file.js';
import { loadAppConfig } from './load-app-config.js';

const SETTING = /^#?([A-Z][A-Z0-9_]*)=(.*)$/;

describe('withEnvFile', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'env-file-')), '.env');
  writeFileSync(file, 'PORT=4000\nLOG_LEVEL=debug\n# a comment\nMAIL_FROM="Shop <a@b.c>"\n');

  it('adds the file under the environment: a variable set in the environment wins', () => {
    expect(withEnvFile({ PORT: '5000' }, file)).toEqual({
      PORT: '5000',
      LOG_LEVEL: 'debug',
      MAIL_FROM: 'Shop <a@b.c>',
    });
  });

  it('reads nothing in tests, or when there is no file', () => {
    expect(withEnvFile({ NODE_ENV: 'test' }, file)).toEqual({ NODE_ENV: 'test' });
    expect(withEnvFile({ PORT: '5000' }, `${file}.missing`)).toEqual({ PORT: '5000' });
  });
});

describe('.env.example', () => {
  const lines = readFileSync('.env.example', 'utf8').split('\n');
  const keys = lines.flatMap((line) => SETTING.exec(line)?.[1] ?? []);

  it('lists every setting of the config schema once, and nothing else', () => {
    expect([...keys].sort()).toEqual(Object.keys(appConfigSchema.shape).sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('and docs/configuration.md describes each of them', () => {
    const docs = readFileSync('docs/configuration.md', 'utf8');
    for (const key of Object.keys(appConfigSchema.shape)) expect(docs, key).toContain(`| \`${key}\` |`);
  });

  it('holds values the schema accepts (every line uncommented gives a valid development config)', () => {
    const uncommented = lines.map((line) => (SETTING.test(line) ? line.replace(/^#/, '') : line)).join('\n');
    const env = parseEnv(uncommented) as Record<string, string>;
    const config = loadAppConfig({ ...env, NODE_ENV: 'development' });
    expect(config).toMatchObject(loadAppConfig({ NODE_ENV: 'development' }));
  });
});

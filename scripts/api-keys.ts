/**
 * `npm run api-keys -- <command>` — the API-key registry from a shell, on the configured database
 * (NODE_ENV and DATABASE_URL as for the API):
 *   create --name partner-a [--limit default=1000 --limit search=100] [--expires 2027-01-31T00:00:00Z]
 *   list
 *   revoke <id>
 * `create` prints the key once; only its SHA-256 is stored. `revoke` is announced to running
 * instances (Redis, cache role) as the admin route's is.
 */
import { Logger } from '@nestjs/common';
import { parseArgs } from 'node:util';
import { ApiKeysService, type ApiKeyDto } from '../src/api-keys/index.js';
import { ApiKeysRepository } from '../src/api-keys/api-keys.repository.js';
import { issueApiKeyBody } from '../src/api-keys/api-keys.schemas.js';
import { apiKeysOptions } from '../src/app.module.js';
import { loadAppConfig } from '../src/config/index.js';
import { databaseOptions } from '../src/core.module.js';
import { Db } from '../src/database/index.js';

const USAGE = `usage:
  npm run api-keys -- create --name <name> [--limit <policy>=<n> ...] [--expires <ISO date-time>]
  npm run api-keys -- list
  npm run api-keys -- revoke <id>`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    limit: { type: 'string', multiple: true },
    expires: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [command, ...rest] = positionals;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** `--limit search=100` (repeatable) → `{ search: 100 }`; checked by the admin route's own schema. */
function parseCreate() {
  const limits: Record<string, unknown> = {};
  for (const pair of values.limit ?? []) {
    const match = /^([a-z]+)=(\d+)$/.exec(pair);
    if (!match) fail(`--limit ${pair}: expected <policy>=<number>, e.g. default=1000\n${USAGE}`);
    limits[match[1]] = Number(match[2]);
  }
  const body = issueApiKeyBody.safeParse({
    name: values.name,
    ...(values.limit ? { limits } : {}),
    ...(values.expires ? { expiresAt: values.expires } : {}),
  });
  if (!body.success) {
    const flags: Record<string, string> = { name: '--name', limits: '--limit', expiresAt: '--expires' };
    fail(
      body.error.issues
        .map((issue) =>
          `${flags[String(issue.path[0])] ?? '?'} ${issue.path.slice(1).join('.')}: ${issue.message}`.replace(
            ' :',
            ':',
          ),
        )
        .join('\n'),
    );
  }
  return body.data;
}

function describe(key: Pick<ApiKeyDto, 'id' | 'name' | 'prefix' | 'last4' | 'limits' | 'expiresAt'>): string {
  const limits = Object.entries(key.limits).map(([policy, limit]) => `${policy}=${limit}`);
  return [
    `#${key.id}`,
    key.name,
    `${key.prefix}…${key.last4}`,
    limits.length ? `limits ${limits.join(',')}` : 'default limits',
    key.expiresAt ? `expires ${key.expiresAt}` : 'no expiry',
  ].join('  ');
}

if (values.help || !['create', 'list', 'revoke'].includes(command ?? '')) fail(USAGE);
const input = command === 'create' ? parseCreate() : undefined;
const revokeId = command === 'revoke' ? Number(rest[0]) : undefined;
if (command === 'revoke' && !(Number.isSafeInteger(revokeId) && revokeId! > 0 && /^\d+$/.test(rest[0])))
  fail(`revoke needs the key's id (see list)\n${USAGE}`);

// The service's pieces, built by hand rather than through a Nest context: tsx emits no decorator
// metadata for constructor injection, and the registry needs only the primary and Redis.
Logger.overrideLogger(['error', 'warn']);
const config = loadAppConfig();
const db = new Db({ ...databaseOptions(config), replicaUrls: [], lastWriteStore: undefined });
const apiKeys = new ApiKeysService(apiKeysOptions(config), new ApiKeysRepository(db));
try {
  await db.onModuleInit();
  await apiKeys.onModuleInit();
  if (input) {
    const issued = await apiKeys.issue(input);
    console.log(`created ${describe(issued)}`);
    console.log('the key (shown this once; only its SHA-256 is stored):');
    console.log(issued.key);
  } else if (revokeId !== undefined) {
    await apiKeys.revoke(revokeId);
    console.log(`revoked #${revokeId}`);
  } else {
    let cursor: number | undefined;
    do {
      const page = await apiKeys.list({ limit: 100, cursor });
      for (const key of page.data) console.log(`${describe(key)}  ${key.status}`);
      cursor = page.nextCursor ? page.data[page.data.length - 1].id : undefined;
    } while (cursor !== undefined);
  }
} catch (error) {
  console.error(`api-keys ${command} failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  apiKeys.onApplicationShutdown();
  await db.onApplicationShutdown();
}

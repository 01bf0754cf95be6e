/**
 * Prisma's schema engine compiled to WASM, driven from Node. The Prisma CLI downloads a native
 * engine binary that cannot be fetched on our machines; this engine writes the same
 * `_prisma_migrations` table, so `prisma migrate deploy` stays interchangeable with it.
 * Details: ../shared/docs/prisma-offline.md.
 */
import { randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { ColumnTypeEnum, bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

export const MIGRATIONS_DIR = path.resolve('prisma/migrations');
export const SCHEMA_PATH = path.resolve('prisma/schema.prisma');
export const NO_FILTERS = { externalTables: [], externalEnums: [] };

let wasmReady: Promise<void> | undefined;

/** A Rust panic inside the engine reports its message here before the WASM trap. */
export const panicRegistry = { lastMessage: '' as string };
(globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
  set_message(message: string) {
    panicRegistry.lastMessage = message;
  },
};
process.on('uncaughtException', (error) => {
  console.error(panicRegistry.lastMessage ? `schema engine panicked: ${panicRegistry.lastMessage}` : error);
  process.exit(1);
});

function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(
      path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
      'schema_engine_bg.wasm',
    );
    const module = await WebAssembly.compile(await readFile(wasmPath));
    const instance = await WebAssembly.instantiate(module, {
      './schema_engine_bg.js': bindings as unknown as WebAssembly.ModuleImports,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const CHAR_COLUMNS = Symbol('charColumns');

type Field = { dataTypeID: number };
type SingleResult = { fields?: Field[]; rows?: unknown[] } | undefined;
type QueryResultLike = SingleResult | SingleResult[];
type RowsWithChar = unknown[] & { [CHAR_COLUMNS]?: number[] };

/** Relabels `"char"` columns as text (pg already returns them as strings) and remembers where. */
function relabelCharColumns(result: QueryResultLike): QueryResultLike {
  const parts: SingleResult[] = Array.isArray(result) ? result : [result];
  for (const part of parts) {
    const charColumns: number[] = [];
    part?.fields?.forEach((field, index) => {
      if (field.dataTypeID !== PG_CHAR_OID) return;
      field.dataTypeID = PG_TEXT_OID;
      charColumns.push(index);
    });
    if (charColumns.length && part?.rows) (part.rows as RowsWithChar)[CHAR_COLUMNS] = charColumns;
  }
  return result;
}

/**
 * The engine's catalog queries return Postgres' internal `"char"` type (relkind, contype…), which
 * @prisma/adapter-pg 7.10 rejects as an unsupported native type, while the engine itself reads
 * them as `Character`. This client relabels them so the adapter accepts the rows;
 * {@link CatalogAwarePrismaPg} then reports them to the engine as `Character`.
 */
class CatalogFriendlyClient extends pg.Client {
  // @ts-expect-error pg's overloads cannot be re-declared one by one; we forward every form.
  override query(...args: unknown[]): unknown {
    const forward = super.query as (...a: unknown[]) => unknown;
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (error: Error | null, result: QueryResultLike) => last(error, relabelCharColumns(result));
      return forward.apply(this, args);
    }
    const pending = forward.apply(this, args);
    return pending instanceof Promise ? pending.then(relabelCharColumns) : pending;
  }
}

type RawResult = { columnTypes: number[]; rows: RowsWithChar };
type Queryable = {
  queryRaw(query: unknown): Promise<RawResult>;
  startTransaction?(...args: unknown[]): Promise<Queryable>;
  executeScript?(script: string): Promise<void>;
  underlyingDriver?(): pg.Pool;
  onError?(error: unknown): never;
};

/**
 * Fits Prisma's pg adapter to the schema engine:
 * - reports `"char"` catalog columns as `Character`, the type the engine reads them as;
 * - runs a migration script as one simple-protocol query, which Postgres executes as one implicit
 *   transaction: a failing migration leaves nothing half-applied (the stock adapter splits the
 *   script on every `;`, statement by statement, which also breaks `;` inside literals).
 */
function adaptForSchemaEngine<T extends Queryable>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const index of result.rows[CHAR_COLUMNS] ?? []) result.columnTypes[index] = ColumnTypeEnum.Character;
    return result;
  };
  const startTransaction = queryable.startTransaction?.bind(queryable);
  if (startTransaction) {
    queryable.startTransaction = async (...args) => adaptForSchemaEngine(await startTransaction(...args));
  }
  const pool = queryable.underlyingDriver?.();
  if (pool && queryable.executeScript) {
    queryable.executeScript = async (script) => {
      try {
        await pool.query(script);
      } catch (error) {
        queryable.onError!(error);
      }
    };
  }
  return queryable;
}

class CatalogAwarePrismaPg extends PrismaPg {
  constructor(private readonly settings: pg.PoolConfig) {
    super({ ...settings, Client: CatalogFriendlyClient as unknown as typeof pg.Client });
  }

  override async connect(): ReturnType<PrismaPg['connect']> {
    const adapter = await super.connect();
    adaptForSchemaEngine(adapter as unknown as Queryable);
    return adapter;
  }

  /** Prisma's own version drops the shadow database while its pool still holds it open. */
  override async connectToShadowDb() {
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    const admin = new pg.Client(this.settings);
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    const shadow = await new CatalogAwarePrismaPg({ ...this.settings, database }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
    };
    return shadow;
  }
}

export async function openSchemaEngine(
  connectionString: string,
  log: (line: string) => void = () => {},
): Promise<SchemaEngine> {
  await loadWasm();
  // Discrete fields, not `connectionString`: the adapter opens its shadow database by overriding
  // `database`, which pg ignores when a connection string is present (it would hit the real one).
  const url = new URL(connectionString);
  const adapter = bindMigrationAwareSqlAdapterFactory(
    new CatalogAwarePrismaPg({
      host: decodeURIComponent(url.hostname),
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username) || undefined,
      password: decodeURIComponent(url.password) || undefined,
      database: decodeURIComponent(url.pathname.slice(1)),
    }),
  );
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  return (bindings.SchemaEngine as unknown as typeof SchemaEngine).new(
    { datamodels: [[SCHEMA_PATH, schema]] },
    log,
    adapter,
  );
}

/** Reads prisma/migrations the way the Prisma CLI does. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const lockPath = path.join(dir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  const migrationDirectories = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
      .map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(dir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
  );
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  } as MigrationList;
}

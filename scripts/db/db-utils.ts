import pg from 'pg';

/** Creates the database named in `url` when it does not exist yet (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** The schema engine reports failures as objects with a message and, for SQL, the database error. */
export function describeError(error: unknown, panic = ''): string {
  if (panic) return `schema engine panicked: ${panic}`;
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const { message, meta } = error as { message?: string; meta?: unknown };
    return [message, meta ? JSON.stringify(meta) : ''].filter(Boolean).join('\n');
  }
  return String(error);
}

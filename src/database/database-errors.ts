/** SQLSTATE classes and driver codes that mean "this server or connection is gone", not "bad query". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  'P1001',
  'P1002',
  'P1017',
  'P2024',
  '53300',
  // What @prisma/adapter-pg calls them (kinds), when it maps the driver's error.
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
// "not queryable": pg's answer on a connection that already broke (inside a transaction, between
// its statements); "Unable to start a transaction": Prisma's P2028 when no connection came in maxWait.
const CONNECTION_MESSAGES =
  /connection terminated|connection refused|terminating connection|server (has )?closed the connection|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|Connection ended|can't reach database server|DatabaseNotReachable|ConnectionClosed|SocketTimeout|is not queryable|Unable to start a transaction in the given time/i;

/** No connection came free in time: the pool's acquire timeout, or a transaction's `maxWait` (P2028). */
const POOL_EXHAUSTED = /timeout exceeded when trying to connect|Unable to start a transaction in the given time/i;

/** Serialization failure and deadlock: a transaction that may succeed when run again. */
const RETRYABLE_TRANSACTION_CODES = new Set(['40001', '40P01', 'P2034']);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error as Record<string, unknown> | undefined, depth = 0; current && depth < 5; depth++) {
    for (const key of ['code', 'originalCode'])
      if (typeof current[key] === 'string') codes.push(current[key] as string);
    const meta = current.meta as Record<string, unknown> | undefined;
    if (meta && typeof meta.code === 'string') codes.push(meta.code);
    const adapterCause = (meta?.driverAdapterError as { cause?: Record<string, unknown> } | undefined)?.cause;
    if (adapterCause) {
      for (const key of ['originalCode', 'code', 'kind'])
        if (typeof adapterCause[key] === 'string') codes.push(adapterCause[key] as string);
    }
    current = current.cause as Record<string, unknown> | undefined;
  }
  return codes;
}

export function isConnectionError(error: unknown): boolean {
  const codes = codesOf(error);
  if (codes.some((code) => CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return CONNECTION_MESSAGES.test(String((error as Error)?.message ?? ''));
}

/** Every connection was busy for the whole acquire timeout: the server may be fine, the pool is full. */
export function isPoolExhausted(error: unknown): boolean {
  return POOL_EXHAUSTED.test(String((error as Error)?.message ?? ''));
}

export function isRetryableTransactionError(error: unknown): boolean {
  const codes = codesOf(error);
  if (codes.some((code) => RETRYABLE_TRANSACTION_CODES.has(code))) return true;
  return /could not serialize access|deadlock detected|write conflict or a deadlock/i.test(
    String((error as Error)?.message ?? ''),
  );
}

/** `statement_timeout` fired (SQLSTATE 57014). */
export function isStatementTimeout(error: unknown): boolean {
  return (
    codesOf(error).includes('57014') ||
    /canceling statement due to statement timeout/i.test(String((error as Error)?.message ?? ''))
  );
}

export interface ConstraintViolation {
  /** SQLSTATE: 23505 unique, 23503 foreign key, 23514 check (or a trigger raising it). */
  code: string;
  /** The constraint or index named by Postgres, when it names one. */
  constraint?: string;
  message: string;
}

/** An integrity-constraint violation (SQLSTATE class 23) of a raw query, as the driver adapter reports it. */
export function constraintViolation(error: unknown): ConstraintViolation | undefined {
  const code = codesOf(error).find((candidate) => /^23[0-9A-Z]{3}$/.test(candidate));
  if (!code) return undefined;
  const meta = (error as { meta?: { driverAdapterError?: { cause?: Record<string, unknown> } } }).meta;
  const cause = meta?.driverAdapterError?.cause ?? {};
  const text = [cause.originalMessage, cause.message, (error as Error).message].find((v) => typeof v === 'string');
  const message = (text as string | undefined) ?? '';
  const named =
    (cause.constraint as { index?: string } | undefined)?.index ?? /constraint "([^"]+)"/.exec(message)?.[1];
  return { code, message, ...(named ? { constraint: named } : {}) };
}

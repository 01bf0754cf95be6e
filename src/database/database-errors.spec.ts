import { isConnectionError, isRetryableTransactionError } from './database-errors.js';

/** Errors as pg, @prisma/adapter-pg and Prisma raise them while the primary restarts (seen in test/primary-restart.e2e-spec.ts). */
const prismaError = (code: string, message: string, cause: Record<string, unknown>) =>
  Object.assign(new Error(message), { code, meta: { driverAdapterError: { name: 'DriverAdapterError', cause } } });

describe('database error classification', () => {
  it.each([
    [
      'a session ended by the shutdown (57P01)',
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
        severity: 'FATAL',
      }),
    ],
    [
      'a new session refused while shutting down (57P03, via the adapter)',
      prismaError('P2010', 'Raw query failed. Code: `57P03`. Message: `the database system is shutting down`', {
        kind: 'postgres',
        code: '57P03',
        originalCode: '57P03',
      }),
    ],
    [
      'the server gone (ECONNREFUSED, via the adapter)',
      prismaError('P2010', "Raw query failed. Code: `N/A`. Message: `Can't reach database server at 127.0.0.1:5432`", {
        kind: 'DatabaseNotReachable',
      }),
    ],
    [
      'a transaction that could not start (P1001)',
      prismaError('P1001', "Can't reach database server at 127.0.0.1:5432", { kind: 'DatabaseNotReachable' }),
    ],
    [
      'a connection reset while the postmaster exits',
      prismaError('P2010', 'Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`', {
        kind: 'ConnectionClosed',
      }),
    ],
    [
      'a statement on a connection that broke inside a transaction',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['an unexpected end of the socket', new Error('Connection terminated unexpectedly')],
    [
      'no connection within maxWait (P2028)',
      Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), {
        code: 'P2028',
      }),
    ],
    ['the pool busy past its acquire timeout', new Error('timeout exceeded when trying to connect')],
    [
      'the connect breaker refusing at once',
      Object.assign(new Error('connection refused: the server refused a connection moments ago'), {
        code: 'ECONNREFUSED',
      }),
    ],
  ])('%s: the database is unavailable (503)', (_label, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', prismaError('P2002', 'Unique constraint failed', { kind: 'UniqueConstraintViolation' })],
    [
      'a syntax error',
      Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601', severity: 'ERROR' }),
    ],
    [
      'a transaction used after it ended',
      Object.assign(new Error('Transaction API error: Transaction already closed'), { code: 'P2028' }),
    ],
  ])('%s: not a connection error', (_label, error) => {
    expect(isConnectionError(error)).toBe(false);
  });

  it('retries serialization failures and deadlocks, not connection errors', () => {
    expect(isRetryableTransactionError(Object.assign(new Error('could not serialize access'), { code: '40001' }))).toBe(
      true,
    );
    expect(isRetryableTransactionError(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});

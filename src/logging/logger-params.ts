import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent, type Logger, type LoggerOptions } from 'pino';
import type { AppConfigValues, LogLevel } from '../config/index.js';

const PINO_LEVELS: Record<LogLevel, LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

let stdout: DestinationStream | undefined;

/**
 * stdout, written asynchronously: under load lines are gathered into few writes instead of one
 * system call each (the access log's main cost); pino flushes what is pending on exit.
 */
function logDestination(): DestinationStream {
  return (stdout ??= pino.destination({ dest: 1, sync: false }));
}

function loggerOptions(config: AppConfigValues): LoggerOptions {
  return { level: PINO_LEVELS[config.LOG_LEVEL], base: { pid: process.pid, service: 'store-api' } };
}

/**
 * nestjs-pino's options: one JSON line per log call, through every Nest `Logger`. Its pino-http
 * middleware is not mounted (`forRoutes: []`): the HTTP edge binds each request's context and
 * writes the access log (see src/edge).
 */
export function loggerParams(config: AppConfigValues): Params {
  const redact = { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password'], censor: '[redacted]' };
  return { pinoHttp: [{ ...loggerOptions(config), redact }, logDestination()], forRoutes: [] };
}

/** The access log's logger: the same stream and format, without redaction (its lines hold no secrets). */
export function accessLogger(config: AppConfigValues): Logger {
  return pino(loggerOptions(config), logDestination()).child({ context: 'Http' });
}

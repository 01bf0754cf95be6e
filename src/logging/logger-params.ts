import type { Params } from 'nestjs-pino';
import type { LevelWithSilent } from 'pino';
import type { AppConfigValues, LogLevel } from '../config/index.js';

const PINO_LEVELS: Record<LogLevel, LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * nestjs-pino's options: one JSON line per log call, through every Nest `Logger`. Its pino-http
 * middleware is not mounted (`forRoutes: []`): `logRequests` binds each request's context and
 * writes the access log (see there why).
 */
export function loggerParams(config: AppConfigValues): Params {
  return {
    pinoHttp: {
      level: PINO_LEVELS[config.LOG_LEVEL],
      base: { pid: process.pid, service: 'store-api' },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password'], censor: '[redacted]' },
    },
    forRoutes: [],
  };
}

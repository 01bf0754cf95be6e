import type { LogLevel } from './app-config.schema.js';

const NEST_LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/** Nest's logger levels for LOG_LEVEL (Nest says `log` where the config says `info`). */
export function nestLogLevels(level: LogLevel) {
  const nestLevel = level === 'info' ? 'log' : level;
  return NEST_LOG_LEVELS.slice(0, NEST_LOG_LEVELS.indexOf(nestLevel) + 1);
}

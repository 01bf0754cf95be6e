import { createRequire } from 'node:module';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent, type Logger, type LoggerOptions } from 'pino';
import type { AppConfigValues, LogLevel } from '../config/index.js';
import { isTracingOn, traceIds } from '../tracing/trace-context.js';

const PINO_LEVELS: Record<LogLevel, LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Access-log lines gathered before a write, and the longest one waits when traffic is low. */
const BUFFER_BYTES = 8_192;
const FLUSH_EVERY_MS = 250;

let stdout: { buffered: DestinationStream; prompt: DestinationStream } | undefined;

/**
 * stdout, two ways into one stream. Access-log lines are buffered: under load ~40 go out in one
 * write instead of a system call each (one per request was most of the access log's cost; an
 * asynchronous destination moved the writes to libuv's thread pool, which competes with the event
 * loop for the same cores); they wait at most `FLUSH_EVERY_MS`, and what is buffered is written on
 * exit — only a SIGKILL loses it. Every other line (start-up, warnings, errors, slow queries) is
 * written at once, after whatever access lines were waiting, so the order is kept.
 */
function logDestination(): { buffered: DestinationStream; prompt: DestinationStream } {
  if (stdout) return stdout;
  const stream = pino.destination({ dest: 1, sync: true, minLength: BUFFER_BYTES });
  // `flush()` on a synchronous stream writes at once; `flushSync()` would also fsync, a disk sync
  // per warning or worker job line. Only when something waits (an idle timer writes nothing).
  let waiting = false;
  const flush = () => {
    if (!waiting) return;
    waiting = false;
    stream.flush();
  };
  setInterval(flush, FLUSH_EVERY_MS).unref();
  process.once('exit', flush);
  const buffered = {
    write(line: string) {
      waiting = true;
      stream.write(line);
    },
  };
  const prompt = {
    write(line: string) {
      buffered.write(line);
      flush();
    },
  };
  return (stdout = { buffered, prompt });
}

/**
 * Human-readable lines in development only: when LOG_PRETTY says so, else when stdout is a terminal.
 * Production and test always write JSON lines (and production has no pino-pretty installed).
 */
export function prettyLogs(config: Pick<AppConfigValues, 'NODE_ENV' | 'LOG_PRETTY'>, isTTY: boolean): boolean {
  return config.NODE_ENV === 'development' && (config.LOG_PRETTY ?? isTTY);
}

let pretty: DestinationStream | undefined;

/** pino-pretty in this thread, writing synchronously (a devDependency: loaded only when asked for). */
function prettyDestination(): DestinationStream {
  if (pretty) return pretty;
  const build = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
  return (pretty = build({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
    sync: true,
  }));
}

function destinations(config: AppConfigValues): { buffered: DestinationStream; prompt: DestinationStream } {
  if (!prettyLogs(config, process.stdout.isTTY === true)) return logDestination();
  const stream = prettyDestination();
  return { buffered: stream, prompt: stream };
}

function loggerOptions(config: AppConfigValues): LoggerOptions {
  const options: LoggerOptions = {
    level: PINO_LEVELS[config.LOG_LEVEL],
    base: { pid: process.pid, service: 'store-api' },
  };
  // trace_id and span_id on every line written inside a span; no mixin at all when tracing is off.
  if (isTracingOn()) options.mixin = traceIds;
  return options;
}

/**
 * nestjs-pino's options: one JSON line per log call, through every Nest `Logger`. Its pino-http
 * middleware is not mounted (`forRoutes: []`): the HTTP edge binds each request's context and
 * writes the access log (see src/edge).
 */
export function loggerParams(config: AppConfigValues): Params {
  const redact = { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password'], censor: '[redacted]' };
  return { pinoHttp: [{ ...loggerOptions(config), redact }, destinations(config).prompt], forRoutes: [] };
}

/** The access log's logger: the same stream and format, without redaction (its lines hold no secrets). */
export function accessLogger(config: AppConfigValues): Logger {
  return pino(loggerOptions(config), destinations(config).buffered).child({ context: 'Http' });
}

import type { HookHandlerDoneFunction, onSendHookHandler } from 'fastify';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Http2Session, SecureServerOptions, Settings } from 'node:http2';
import { createSecureContext } from 'node:tls';
import { InvalidConfigError, type AppConfigValues } from '../config/index.js';

/** Fastify's options for the server it creates: HTTP/1.1 (none), HTTPS with h2, or h2c. */
export interface ServerProtocolOptions {
  http2?: true;
  https?: SecureServerOptions;
  http?: { settings: Settings };
}

/**
 * One client's streams at once on a connection (Node's default is 2³²−1). RFC 9113 advises at
 * least 100; each stream is a request the edge counts against the client's limits anyway.
 */
export const MAX_CONCURRENT_STREAMS = 128;

/**
 * `HTTP2=tls`: HTTP/2 over TLS, HTTP/1.1 still served on the same port (ALPN picks, `allowHTTP1`).
 * `HTTP2=h2c`: cleartext HTTP/2 with prior knowledge — for a proxy that speaks h2c to its
 * upstream; no Upgrade from HTTP/1.1 (Node implements none), so HTTP/1.1 clients cannot connect.
 * @throws InvalidConfigError when the certificate or key cannot be read or do not make a pair.
 */
export function serverProtocolOptions(config: AppConfigValues): ServerProtocolOptions {
  const settings: Settings = { maxConcurrentStreams: MAX_CONCURRENT_STREAMS };
  if (config.HTTP2 === 'h2c') return { http2: true, http: { settings } };
  if (config.HTTP2 !== 'tls') return {};
  const cert = readPem('TLS_CERT_FILE', config.TLS_CERT_FILE!);
  const key = readPem('TLS_KEY_FILE', config.TLS_KEY_FILE!);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    // The one boot message, not a stack trace from inside Fastify's listen.
    throw new InvalidConfigError([
      `TLS_CERT_FILE, TLS_KEY_FILE: not a usable certificate and key (${(error as Error).message})`,
    ]);
  }
  return { http2: true, https: { cert, key, allowHTTP1: true, settings } };
}

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InvalidConfigError([`${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`]);
  }
}

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); Node drops `connection`, and throws on the others. */
const CONNECTION_HEADERS = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

/**
 * An h2 response carrying `keep-alive`, `transfer-encoding` or `upgrade` (a plugin's HTTP/1.1
 * habit) makes Node's `writeHead` throw outside any handler: an uncaught exception that ends the
 * process. Removed from h2 responses instead; HTTP/1.1 responses keep theirs.
 */
export const withoutConnectionHeaders: onSendHookHandler = (request, reply, payload, done) => {
  if (request.raw.httpVersionMajor === 2) for (const name of CONNECTION_HEADERS) reply.removeHeader(name);
  done(null, payload);
};

/**
 * A `preClose` hook that sends every open h2 session a GOAWAY (`session.close()`: no new streams,
 * the open ones finish, then the session ends). Node's `server.close()` ends only sessions that
 * are idle at that moment: one with a stream in flight stayed open after its stream ended, and
 * held the process until the client hung up.
 */
export function closeHttp2SessionsOnClose(server: EventEmitter): (done: HookHandlerDoneFunction) => void {
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return (done) => {
    for (const session of sessions) session.close();
    done();
  };
}

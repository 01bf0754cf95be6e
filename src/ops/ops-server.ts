import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { register } from 'prom-client';
import { sendProblem } from '../common/http/problem-details.filter.js';
import { NotFoundProblem } from '../common/http/problem.exception.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  /** Readiness with full detail; without it there is no `/health/ready` (the worker). */
  readiness?: () => Promise<{ statusCode: number; body: unknown }>;
}

export interface OpsServer {
  /** `http://host:port` as bound. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A small plain Fastify server for operators, apart from the app's port and its pipeline (no
 * auth, no rate limits, no request logs): `GET /metrics` (prom-client's default registry, the
 * one the app fills), `GET /health/live`, and `GET /health/ready` when given. Used by the API
 * (OPS_PORT) and the worker (WORKER_METRICS_PORT). Resolves once listening.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = Fastify({ logger: false, bodyLimit: 1_024, forceCloseConnections: 'idle' });
  routes(server, options);
  await server.listen({ host: options.host, port: options.port });
  const { address, family, port } = server.server.address() as AddressInfo;
  return {
    url: `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`,
    close: () => server.close(),
  };
}

function routes(server: FastifyInstance, { readiness }: OpsServerOptions): void {
  server.get('/metrics', async (_request, reply) => {
    reply.header('content-type', register.contentType);
    return register.metrics();
  });
  server.get('/health/live', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  if (readiness)
    server.get('/health/ready', async (_request, reply) => {
      const { statusCode, body } = await readiness();
      reply.code(statusCode).header('cache-control', 'no-store');
      return body;
    });
  // Errors as on the app port: problem+json, and nothing internal in a 500.
  server.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new NotFoundProblem(`Cannot ${request.method} ${request.url.split('?')[0]}`)),
  );
  server.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
}

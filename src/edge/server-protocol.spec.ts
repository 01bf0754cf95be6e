import Fastify, { type FastifyInstance } from 'fastify';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { withoutConnectionHeaders } from './server-protocol.js';

/** A route with an HTTP/1.1 habit: connection-specific headers HTTP/2 forbids. */
function fixture(server: FastifyInstance): FastifyInstance {
  server.addHook('onSend', withoutConnectionHeaders);
  server.get('/legacy', (_request, reply) => {
    reply.header('connection', 'keep-alive').header('keep-alive', 'timeout=5').header('upgrade', 'h2c');
    reply.header('proxy-connection', 'keep-alive').header('x-kept', 'yes');
    return { ok: true };
  });
  return server;
}

describe('withoutConnectionHeaders', () => {
  it('removes them from an h2 response (Node would throw outside any handler and end the process)', async () => {
    // Typed as the HTTP/1.1 instance the edge's hooks are written for; the same object at run time.
    const server = fixture(Fastify({ http2: true }) as unknown as FastifyInstance);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const session = http2.connect(`http://127.0.0.1:${(server.server.address() as AddressInfo).port}`);
    try {
      const { headers, body } = await new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>(
        (resolve, reject) => {
          const stream = session.request({ ':path': '/legacy' });
          let headers: http2.IncomingHttpHeaders = {};
          let body = '';
          stream.on('response', (received) => (headers = received));
          stream.on('data', (chunk: Buffer) => (body += chunk));
          stream.on('end', () => resolve({ headers, body }));
          stream.on('error', reject);
        },
      );
      expect(headers[':status']).toBe(200);
      expect(JSON.parse(body)).toEqual({ ok: true });
      expect(headers['x-kept']).toBe('yes');
      for (const name of ['connection', 'keep-alive', 'upgrade', 'proxy-connection'])
        expect(headers[name]).toBeUndefined();
    } finally {
      session.close();
      await server.close();
    }
  });

  it('leaves HTTP/1.1 responses as they are', async () => {
    const server = fixture(Fastify());
    const response = await server.inject({ method: 'GET', url: '/legacy' });
    expect(response.headers['keep-alive']).toBe('timeout=5');
    expect(response.headers['x-kept']).toBe('yes');
    await server.close();
  });
});

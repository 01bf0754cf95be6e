import { PassThrough } from 'node:stream';
import { clientErrorHandler, clientProblem } from './client-errors.js';

const parserError = (code: string) => Object.assign(new Error(code), { code });

describe('clientProblem', () => {
  it('maps header overflow to 431, timeouts to 408, everything else to 400', () => {
    expect(clientProblem('HPE_HEADER_OVERFLOW')).toMatchObject({
      status: 431,
      title: 'Request Header Fields Too Large',
    });
    expect(clientProblem('ERR_HTTP_REQUEST_TIMEOUT')).toMatchObject({ status: 408 });
    expect(clientProblem('HPE_INVALID_METHOD')).toMatchObject({
      status: 400,
      detail: expect.stringContaining('HPE_INVALID_METHOD'),
    });
    expect(clientProblem(undefined)).toMatchObject({ status: 400, type: 'https://store-api.dev/problems/bad-request' });
  });
});

describe('clientErrorHandler', () => {
  it('writes one complete problem response and ends the connection', async () => {
    const socket = new PassThrough();
    let written = '';
    socket.on('data', (chunk) => (written += chunk));
    clientErrorHandler(parserError('HPE_HEADER_OVERFLOW'), socket);
    clientErrorHandler(parserError('HPE_HEADER_OVERFLOW'), socket); // the parser reports again
    await new Promise((resolve) => socket.on('end', resolve));
    const [head, body] = written.split('\r\n\r\n');
    expect(head.split('\r\n')).toEqual([
      'HTTP/1.1 431 Request Header Fields Too Large',
      'content-type: application/problem+json',
      `content-length: ${Buffer.byteLength(body)}`,
      'x-content-type-options: nosniff',
      'connection: close',
    ]);
    expect(JSON.parse(body)).toMatchObject({ status: 431 });
  });

  it('only destroys a socket that is reset or can no longer be written', () => {
    const reset = new PassThrough();
    clientErrorHandler(parserError('ECONNRESET'), reset);
    expect(reset.destroyed).toBe(true);
    const closed = new PassThrough();
    closed.end();
    clientErrorHandler(parserError('HPE_INVALID_METHOD'), closed);
    expect(closed.destroyed).toBe(true);
  });
});

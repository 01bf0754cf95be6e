import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `bytes` on a fresh TCP connection to 127.0.0.1:`port` exactly as given (no client
 * validates or encodes them) and reads every response until the server closes; resolves with
 * the responses in order. A reset after the answers counts as the close.
 */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(received.toString('latin1'))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => (received = Buffer.concat([received, chunk])));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponses(received));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(bytes);
  });
}

/** HTTP/1.1 responses with a content-length, back to back. */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`incomplete response head: ${JSON.stringify(rest.toString('latin1'))}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.subarray(end + 4, end + 4 + length);
    if (body.length < length) throw new Error(`truncated body: ${JSON.stringify(body.toString())}`);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString() });
    rest = rest.subarray(end + 4 + length);
  }
  return responses;
}

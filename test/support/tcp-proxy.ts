import net from 'node:net';

/**
 * A TCP proxy to a real service that a test can cut: `cut()` drops every connection and refuses
 * new ones (the service looks unreachable to the app), `restore()` lets them through again.
 * `delayMs` holds each chunk the service sends back that long (a slow link or a slow server).
 */
export interface TcpProxy {
  url(template: string): string;
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, { delayMs = 0 } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream);
    if (!delayMs) upstream.pipe(client);
    else
      upstream.on('data', (chunk: Buffer) => {
        upstream.pause();
        setTimeout(() => {
          client.write(chunk);
          upstream.resume();
        }, delayMs);
      });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    open = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    /** `template` with its port replaced by the proxy's. */
    url: (template) => template.replace(/:(\d+)(\/|$)/, `:${port}$2`),
    cut,
    restore: () => {
      open = true;
    },
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

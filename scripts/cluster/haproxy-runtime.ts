import net from 'node:net';

/** One server's line of `show stat`: the fields the cluster script and the tests read. */
export interface ServerStat {
  /** `api1`, `api2`, … */
  name: string;
  /** `UP`, `DOWN`, `MAINT`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `no check`… */
  status: string;
  /** Requests sent to it (HTTP responses counted by class below). */
  requests: number;
  responses5xx: number;
  /** Retries and redispatches away from it: what clients did not see. */
  retries: number;
  redispatches: number;
  /** Connection or response errors on it. */
  connectionErrors: number;
  responseErrors: number;
}

/**
 * HAProxy's runtime API over its stats socket (`stats socket … level admin`): one command per
 * connection, as `socat` would send it.
 */
export class HaproxyRuntime {
  constructor(private readonly socketPath: string) {}

  command(line: string, timeoutMs = 2_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = net.createConnection(this.socketPath, () => socket.end(`${line}\n`));
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(new Error(`HAProxy did not answer "${line}" in ${timeoutMs} ms`)),
      );
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
    });
  }

  /** The servers of `backend`, from `show stat` (CSV). */
  async servers(backend = 'api'): Promise<ServerStat[]> {
    const [header, ...lines] = (await this.command('show stat')).trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])));
    return rows
      .filter((row) => row.pxname === backend && row.svname !== 'BACKEND' && row.svname !== 'FRONTEND')
      .map((row) => ({
        name: row.svname,
        status: row.status,
        requests: Number(row.stot),
        responses5xx: Number(row.hrsp_5xx),
        retries: Number(row.wretr),
        redispatches: Number(row.wredis),
        connectionErrors: Number(row.econ),
        responseErrors: Number(row.eresp),
      }));
  }

  /** `ready` takes a server out of maintenance (its health checks then decide), `maint` puts it in. */
  async setState(server: string, state: 'ready' | 'maint' | 'drain', backend = 'api'): Promise<void> {
    const answer = (await this.command(`set server ${backend}/${server} state ${state}`)).trim();
    if (answer) throw new Error(`set server ${backend}/${server} state ${state}: ${answer}`);
  }
}

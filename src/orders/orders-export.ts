import { Readable } from 'node:stream';
import { MessageChannel } from 'node:worker_threads';
import { cpuTask, type CpuPool } from '../cpu-pool/index.js';
import { CANCEL, MORE, streamOrderExport, type ExportMessage, type OrderExportJob } from './orders-export.task.js';

export type { ExportConnection, ExportEncoding, ExportFormat } from './orders-export.task.js';

const exportTask = cpuTask(import.meta.url, './orders-export.task', 'streamOrderExport', streamOrderExport);

export interface ExportStreamOptions extends Omit<OrderExportJob, 'port'> {
  /** Each statement the export ran (it runs on the pool thread's own connection). */
  onStatement?: (event: { durationMs: number; failed: boolean }) => void;
}

/**
 * An export's body as a stream of chunks (text, or gzip bytes), produced whole on a pool thread
 * (see `streamOrderExport`): pulled by the HTTP response a chunk at a time; a client that goes
 * away destroys the stream, which stops the job before its next query.
 */
export function exportStream(pool: CpuPool, { onStatement, ...job }: ExportStreamOptions): Readable {
  const { port1: port, port2: jobPort } = new MessageChannel();
  // Text and bytes as they come (object mode keeps text text: see ExportMessage); one chunk of
  // read-ahead, as the pool thread prepares the next meanwhile.
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 1,
    read: () => port.postMessage(MORE),
    destroy: (error, callback) => {
      port.postMessage(CANCEL);
      port.close();
      callback(error);
    },
  });
  port.on('message', (message: ExportMessage) => {
    if (stream.destroyed) return;
    if (typeof message === 'string') stream.push(message);
    else if (message instanceof Uint8Array)
      stream.push(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    else if ('statement' in message) onStatement?.(message.statement);
    else if ('end' in message) stream.push(null);
    else stream.destroy(new Error(`the export failed: ${message.error}`));
  });
  pool.run(exportTask, { ...job, port: jobPort }, [jobPort]).catch((error: Error) => stream.destroy(error));
  return stream;
}

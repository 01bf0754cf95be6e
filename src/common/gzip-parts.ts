// Plain Node (no Nest, nothing of the app): also runs on pool threads, with the orders export.
import zlib from 'node:zlib';

/** ID1 ID2, deflate, no flags, no mtime, no extra flags, OS Unix (RFC 1952). */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
/** A final, empty block with fixed codes (RFC 1951): ends the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * A gzip stream written part by part, synchronously, on the calling thread: zlib's streams run
 * on libuv's pool, at the event loop's priority, which an export on a low-priority pool thread
 * must not take. Each part is deflated on its own and ends in a sync flush, so the parts
 * concatenate into one deflate stream (back-references never cross a part: ~2 % larger for
 * parts of ~120 KB); the header goes before the first, the final block and the trailer (CRC-32,
 * length) after the last.
 */
export class GzipParts {
  private crc = 0;
  private length = 0;
  private started = false;

  part(text: string): Buffer {
    const data = Buffer.from(text);
    this.crc = zlib.crc32(data, this.crc);
    this.length = (this.length + data.length) >>> 0;
    const deflated = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return this.withHeader(deflated);
  }

  end(): Buffer {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.length, 4);
    return this.withHeader(Buffer.concat([FINAL_BLOCK, trailer]));
  }

  private withHeader(bytes: Buffer): Buffer {
    if (this.started) return bytes;
    this.started = true;
    return Buffer.concat([HEADER, bytes]);
  }
}

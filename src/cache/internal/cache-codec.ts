import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import superjson from 'superjson';

/**
 * Stored entries: `[format version][encoding][payload]`. A format change bumps the version, and
 * entries of any other version read as misses: a codec change can never poison old entries.
 */
const FORMAT_VERSION = 1;
const RAW = 0;
const BROTLI = 1;
const MIN_COMPRESSION_RATIO = 1.5;

export interface StoredEntry<T = unknown> {
  value: T;
  /** Fresh until (epoch ms); stale but servable until `hardExpiresAt`. */
  softExpiresAt: number;
  hardExpiresAt: number;
  /** Strong validator of the value, computed once when stored. */
  etag: string;
  tags: string[];
  /** "Not found", cached on purpose. */
  negative: boolean;
}

/** A class the codec must round-trip (e.g. Prisma's Decimal), stored as a string. */
export interface CustomType<T = unknown> {
  name: string;
  isApplicable: (value: unknown) => value is T;
  serialize: (value: T) => string;
  deserialize: (text: string) => T;
}

const registered = new Set<string>();

/** superjson's registry is process-wide: register each type once. */
export function registerCustomTypes(types: CustomType[]): void {
  for (const type of types) {
    if (registered.has(type.name)) continue;
    registered.add(type.name);
    superjson.registerCustom<unknown, string>(
      {
        isApplicable: type.isApplicable,
        serialize: type.serialize as (v: unknown) => string,
        deserialize: type.deserialize,
      },
      type.name,
    );
  }
}

export class CacheCodec {
  constructor(
    private readonly compressAboveBytes: number,
    customTypes: CustomType[] = [],
  ) {
    registerCustomTypes(customTypes);
  }

  /** The value's serialized form, and the entry's strong ETag derived from it. */
  serializeValue(value: unknown): { json: string; etag: string } {
    const json = JSON.stringify(superjson.serialize(value));
    return { json, etag: `"${createHash('sha1').update(json).digest('base64url').slice(0, 22)}"` };
  }

  encode(entry: Omit<StoredEntry, 'value'>, valueJson: string): Buffer {
    const payload = Buffer.from(
      `{"s":${entry.softExpiresAt},"h":${entry.hardExpiresAt},"e":${JSON.stringify(entry.etag)},"t":${JSON.stringify(entry.tags)},"n":${entry.negative ? 1 : 0},"v":${valueJson}}`,
    );
    if (payload.length > this.compressAboveBytes) {
      const compressed = brotliCompressSync(payload, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length },
      });
      if (payload.length / compressed.length >= MIN_COMPRESSION_RATIO)
        return Buffer.concat([Buffer.from([FORMAT_VERSION, BROTLI]), compressed]);
    }
    return Buffer.concat([Buffer.from([FORMAT_VERSION, RAW]), payload]);
  }

  /** `undefined` for anything this version cannot read (old format, corrupt). */
  decode<T>(buffer: Buffer): StoredEntry<T> | undefined {
    if (buffer.length < 2 || buffer[0] !== FORMAT_VERSION) return undefined;
    try {
      const payload = buffer[1] === BROTLI ? brotliDecompressSync(buffer.subarray(2)) : buffer.subarray(2);
      const raw = JSON.parse(payload.toString('utf8')) as {
        s: number;
        h: number;
        e: string;
        t: string[];
        n: number;
        v: Parameters<typeof superjson.deserialize>[0];
      };
      return {
        value: superjson.deserialize<T>(raw.v),
        softExpiresAt: raw.s,
        hardExpiresAt: raw.h,
        etag: raw.e,
        tags: raw.t,
        negative: raw.n === 1,
      };
    } catch {
      return undefined;
    }
  }

  /** Whether `encode` compressed it (tests, stats). */
  static isCompressed(buffer: Buffer): boolean {
    return buffer[1] === BROTLI;
  }
}

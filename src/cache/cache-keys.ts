/** A cache key: a namespace (versioned, bumpable) and an id within it. */
export interface CacheKey {
  namespace: string;
  /** A string or number, or parts (encoded URL-safe: any JSON-able value). */
  id: string | number | readonly unknown[] | Record<string, unknown>;
}

const PLAIN_ID = /^[A-Za-z0-9_.-]{1,120}$/;

/**
 * `123`, `abc` stay readable; anything else becomes `b64.<URL-safe base64 of its JSON>` (so does a
 * string that starts `b64.`: sent as a path param, it must not name another request's entry).
 */
export function encodeId(id: CacheKey['id']): string {
  const text = typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  if (text !== undefined && PLAIN_ID.test(text) && !text.startsWith('b64.')) return text;
  return `b64.${Buffer.from(JSON.stringify(id)).toString('base64url')}`;
}

/** Every Redis name the cache uses, under `app:env`. */
export class CacheNames {
  constructor(readonly prefix: string) {}

  entry(namespace: string, version: number, id: CacheKey['id']): string {
    return `${this.prefix}:${namespace}:v${version}:${encodeId(id)}`;
  }

  /** The part of an entry name that does not change with the version: for fences and L1 drops. */
  stem(namespace: string, id: CacheKey['id']): string {
    return `${namespace}:${encodeId(id)}`;
  }

  /** The namespace of an entry name. */
  namespaceOf(entry: string): string {
    return entry.slice(this.prefix.length + 1).split(':')[0];
  }

  /** The stem of an entry name (its version dropped). */
  stemOf(entry: string): string {
    return entry.slice(this.prefix.length + 1).replace(/:v\d+:/, ':');
  }

  namespaceVersion(namespace: string): string {
    return `${this.prefix}:ns:${namespace}`;
  }

  tag(tag: string): string {
    return `${this.prefix}:tag:${tag}`;
  }

  lock(entry: string): string {
    return `${entry}:lock`;
  }

  warm(name: string): string {
    return `${this.prefix}:warm:${name}`;
  }

  get channel(): string {
    return `${this.prefix}:cache:bus`;
  }
}

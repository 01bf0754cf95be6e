/** What makes cached entries stale, as one instance applies it and tells the others (the bus). */
export type Invalidation =
  /** `set` and `delete`: entries by their version-free stems (`namespace:id`). */
  | { type: 'keys'; stems: string[]; position?: string }
  | { type: 'tags'; tags: string[]; position?: string }
  /** The namespace's version moved on (known once Redis answered the INCR). */
  | { type: 'bump'; namespace: string; version?: number; position?: string }
  /** `deleteByPattern`: what it deleted is unknown, so every L1 is cleared. */
  | { type: 'cleared'; position?: string };

/** The fence `deleteByPattern` raises, which every load honours. */
export const ALL = '*';

/** The names fences are raised and looked up under. */
export const fenceNames = {
  /** Raised by an invalidation. */
  of(change: Invalidation): string[] {
    switch (change.type) {
      case 'keys':
        return change.stems.map((stem) => `key:${stem}`);
      case 'tags':
        return change.tags.map((tag) => `tag:${tag}`);
      case 'bump':
        return [`ns:${change.namespace}`];
      case 'cleared':
        return [ALL];
    }
  },
  /** Honoured by a load of this entry (besides `ALL`). */
  entry(namespace: string, stem: string, tags: readonly string[] = []): string[] {
    return [`ns:${namespace}`, `key:${stem}`, ...tags.map((tag) => `tag:${tag}`)];
  },
};

import type { SqlQuery } from '@prisma/driver-adapter-utils';

/**
 * Names for server-side prepared statements: Postgres then parses and plans a statement once per
 * connection instead of on every execution. The first `limit` distinct SQL texts get a name; the
 * rest (rare shapes, e.g. lists of varying length) stay unnamed, so neither this map nor any
 * connection's statement cache grows without bound.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit = 500) {}

  readonly nameOf = (query: SqlQuery): string => {
    let name = this.names.get(query.sql);
    if (name === undefined && this.names.size < this.limit) {
      name = `store_api_${this.names.size + 1}`;
      this.names.set(query.sql, name);
    }
    // pg sends an unnamed statement for an undefined name.
    return name as string;
  };

  get size(): number {
    return this.names.size;
  }
}

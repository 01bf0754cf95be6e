/** Options of {@link DatabaseModule}. */
export interface DatabaseModuleOptions {
  /** Connection URL of the primary (writes, transactions, strong reads). */
  primaryUrl: string;
  /** Connection URLs of the read replicas; may be empty. */
  replicaUrls: string[];
  /**
   * `application_name` prefix, shown in `pg_stat_activity` as `<prefix>:primary`, `<prefix>:replica-1`…
   * @default 'store-api'
   */
  applicationName?: string;
}

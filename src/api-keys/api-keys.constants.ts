/**
 * The rate-limit policies a key may override: the names `RateLimitModule` is configured with in
 * `AppModule` (`default`, `auth`, `search`). A new policy there is added here to be overridable.
 */
export const API_KEY_POLICIES = ['default', 'auth', 'search'] as const;
export type ApiKeyPolicy = (typeof API_KEY_POLICIES)[number];

/** Highest per-key limit: the same bound as the `RATE_LIMIT_*` settings. */
export const MAX_API_KEY_LIMIT = 10_000_000;

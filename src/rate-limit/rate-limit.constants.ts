/** Metadata: the named policies (besides `default`) that apply to a route. */
export const RATE_LIMIT_POLICIES = 'rate-limit:policies';
/** Metadata: the route is never limited. */
export const RATE_LIMIT_SKIP = 'rate-limit:skip';

export { ConsistencyInterceptor } from './consistency/consistency.interceptor.js';
export { requestConsistency } from './consistency/request-consistency.js';
export { CONSISTENCY_TOKEN_HEADER } from './database.constants.js';
export { DatabaseModule } from './database.module.js';
export { DATABASE_MODULE_OPTIONS } from './database.module-definition.js';
export type { DatabaseModuleOptions, PoolOptions, ReplicaRoutingOptions } from './database.options.js';
export type { DatabaseStatsSnapshot, QueryEvent, RoutingDecision } from './database-stats.js';
export { Db, type TransactionOptions } from './db.service.js';
export { ReadFromPrimary } from './decorators/read-from-primary.decorator.js';

export { DatabaseModule } from './database.module.js';
export { DATABASE_MODULE_OPTIONS } from './database.module-definition.js';
export type { DatabaseModuleOptions } from './database.options.js';
export { Db } from './db.service.js';

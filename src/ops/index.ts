export { OpsModule } from './ops.module.js';
export { OpsPort } from './ops-port.js';
export { startOpsServer, type OpsServer, type OpsServerOptions } from './ops-server.js';

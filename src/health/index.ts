export { HealthModule } from './health.module.js';
export { ReadinessService, type Readiness, type ReadinessDetail } from './readiness.service.js';

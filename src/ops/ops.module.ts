import { Module } from '@nestjs/common';
import { HealthModule } from '../health/index.js';
import { OpsPort } from './ops-port.js';

/** The internal operations port, for Prometheus and operators (see `OpsPort`). */
@Module({
  imports: [HealthModule],
  providers: [OpsPort],
  exports: [OpsPort],
})
export class OpsModule {}

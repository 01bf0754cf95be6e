import { Controller, Get, Query } from '@nestjs/common';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import { dateRangeQuery } from '../orders/orders.schemas.js';
import { AnalyticsService, type Dashboard } from './analytics.service.js';

@Controller('admin/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('dashboard')
  @Authenticated({ admin: true })
  dashboard(@Query(new ZodValidationPipe(dateRangeQuery)) range: { from: Date; to: Date }): Promise<Dashboard> {
    return this.analytics.dashboard(range);
  }
}

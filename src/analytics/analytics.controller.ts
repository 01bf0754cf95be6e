import { ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiRoute } from '../common/openapi/zod-openapi.js';
import { Controller, Get, Query } from '@nestjs/common';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { dateRangeQuery } from '../orders/orders.schemas.js';
import { AnalyticsService } from './analytics.service.js';
import { dashboardSchema, type Dashboard } from './dashboard.dto.js';

@ApiTags('analytics')
@Controller('admin/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('dashboard')
  @ApiRoute({
    id: 'analytics.dashboard',
    summary: 'Revenue, orders, average order, top 10 products and a daily series (admin; cached per hour)',
  })
  @ApiJson(200, 'The dashboard', dashboardSchema)
  @Authenticated({ admin: true })
  dashboard(@Query({ schema: dateRangeQuery }) range: { from: Date; to: Date }): Promise<Dashboard> {
    return this.analytics.dashboard(range);
  }
}

import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiJson, ApiProblems, ApiZodQuery } from '../common/openapi/zod-openapi.js';
import { dashboardSchema } from '../common/openapi/schemas.js';
import { Controller, Get, Query } from '@nestjs/common';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import { dateRangeQuery } from '../orders/orders.schemas.js';
import { AnalyticsService, type Dashboard } from './analytics.service.js';

@ApiTags('analytics')
@Controller('admin/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('dashboard')
  @ApiOperation({
    summary: 'Revenue, orders, average order, top 10 products and a daily series (admin; cached per hour)',
  })
  @ApiZodQuery(z.object({ from: z.string().optional(), to: z.string().optional() }))
  @ApiJson(200, 'The dashboard', dashboardSchema)
  @ApiProblems(400)
  @Authenticated({ admin: true })
  dashboard(@Query(new ZodValidationPipe(dateRangeQuery)) range: { from: Date; to: Date }): Promise<Dashboard> {
    return this.analytics.dashboard(range);
  }
}

import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiIdParam, ApiJson, ApiProblems, ApiZodQuery } from '../common/openapi/zod-openapi.js';
import { adminOrderSchema, orderSchema, pageOf } from '../common/openapi/schemas.js';
import { Controller, Get, Param, Query, StreamableFile, UseInterceptors } from '@nestjs/common';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Loaders, LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { idParam } from '../common/http/query-params.js';
import type { AdminOrderDto, OrderDto } from './order.dto.js';
import {
  adminOrdersQuery,
  exportOrdersQuery,
  listOrdersQuery,
  type AdminOrdersQuery,
  type ExportOrdersQuery,
  type ListOrdersQuery,
} from './orders.schemas.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@Controller()
@UseInterceptors(LoadersInterceptor)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get('orders')
  @ApiOperation({ summary: "The caller's orders with items and products, keyset-paginated (one SQL statement)" })
  @ApiZodQuery(listOrdersQuery)
  @ApiJson(200, 'A page of orders', pageOf(orderSchema))
  @ApiProblems(400)
  @Authenticated()
  list(
    @CurrentUser() user: AuthUser,
    @Query(new ZodValidationPipe(listOrdersQuery)) query: ListOrdersQuery,
  ): Promise<Page<OrderDto>> {
    return this.orders.listOwn(user, query);
  }

  @Get('orders/:id')
  @ApiOperation({ summary: "One order (the caller's own, or any for an admin; else 404)" })
  @ApiIdParam()
  @ApiJson(200, 'The order', orderSchema)
  @ApiProblems(400, 404)
  @Authenticated()
  get(
    @CurrentUser() user: AuthUser,
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Loaders() loaders: RequestLoaders,
  ): Promise<OrderDto> {
    return this.orders.get(user, id, loaders);
  }

  @Get('admin/orders/export')
  @ApiOperation({ summary: 'Stream all orders of a date range as NDJSON or CSV (admin)' })
  @ApiZodQuery(
    z.object({ format: z.enum(['ndjson', 'csv']).optional(), from: z.string().optional(), to: z.string().optional() }),
  )
  @ApiResponse({
    status: 200,
    description: 'The orders, streamed',
    content: { 'application/x-ndjson': {}, 'text/csv': {} },
  })
  @ApiProblems(400)
  @Authenticated({ admin: true })
  export(@Query(new ZodValidationPipe(exportOrdersQuery)) query: ExportOrdersQuery): StreamableFile {
    return new StreamableFile(this.orders.export(query), {
      type: query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="orders.${query.format}"`,
    });
  }

  @Get('admin/orders')
  @ApiOperation({ summary: 'All orders, by status and user (admin)' })
  @ApiZodQuery(adminOrdersQuery)
  @ApiJson(200, 'A page of orders', pageOf(adminOrderSchema))
  @ApiProblems(400)
  @Authenticated({ admin: true })
  listAll(
    @Query(new ZodValidationPipe(adminOrdersQuery)) query: AdminOrdersQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Page<AdminOrderDto>> {
    return this.orders.listAll(query, loaders);
  }
}

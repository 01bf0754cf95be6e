import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import { responseHeaders } from '../common/openapi/http-headers.js';
import { Controller, Get, Param, Query, Req, Res, StreamableFile, UseInterceptors } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Paginated } from '../common/pagination/paginated.decorator.js';
import { Loaders, LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { idParam } from '../common/http/query-params.js';
import { negotiatedEncoding } from '../common/http/response-encoding.js';
import { adminOrderPageSchema, orderPageSchema, orderSchema, type AdminOrderDto, type OrderDto } from './order.dto.js';
import {
  adminOrdersQuery,
  exportOrdersQuery,
  listOrdersQuery,
  orderQuery,
  type AdminOrdersQuery,
  type ExportOrdersQuery,
  type ListOrdersQuery,
  type OrderQuery,
} from './orders.schemas.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@Controller()
@UseInterceptors(LoadersInterceptor)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get('orders')
  @ApiRoute({
    id: 'orders.list',
    summary: "The caller's orders with items and products, keyset-paginated (one SQL statement)",
  })
  @ApiJson(200, 'A page of orders (with `fields`, each holds only the fields named)', orderPageSchema)
  @Paginated()
  @Authenticated()
  list(
    @CurrentUser() user: AuthUser,
    @Query({ schema: listOrdersQuery }) query: ListOrdersQuery,
  ): Promise<Page<Partial<OrderDto>>> {
    return this.orders.listOwn(user, query);
  }

  @Get('orders/:id')
  @ApiRoute({ id: 'orders.get', summary: "One order (the caller's own, or any for an admin; else 404)" })
  @ApiJson(200, 'The order (with `fields`, only the fields named)', orderSchema)
  @ApiProblem(404, 'No such order of yours')
  @Authenticated()
  get(
    @CurrentUser() user: AuthUser,
    @Param({ schema: idParam }) { id }: { id: number },
    @Query({ schema: orderQuery }) { fields }: OrderQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Partial<OrderDto>> {
    return this.orders.get(user, id, loaders, fields);
  }

  @Get('admin/orders/export')
  @ApiRoute({ id: 'orders.export', summary: 'Stream all orders of a date range as NDJSON or CSV (admin)' })
  @ApiResponse({
    status: 200,
    description: 'The orders, streamed: one Order (without items) per line, or CSV with a header row',
    headers: responseHeaders({ 'Content-Disposition': true }),
    content: {
      'application/x-ndjson': { schema: { type: 'string' } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @Authenticated({ admin: true })
  export(
    @Query({ schema: exportOrdersQuery }) query: ExportOrdersQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): StreamableFile {
    // Gzipped on the pool thread with the rest of the export, not by @fastify/compress (which
    // still answers a client that takes brotli only).
    const encoding = negotiatedEncoding(request, ['gzip']);
    reply.header('vary', 'accept-encoding');
    if (encoding !== 'identity') reply.header('content-encoding', encoding);
    return new StreamableFile(this.orders.export(query, encoding), {
      type: query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="orders.${query.format}"`,
    });
  }

  @Get('admin/orders')
  @ApiRoute({ id: 'orders.listAll', summary: 'All orders, by status and user (admin)' })
  @ApiJson(200, 'A page of orders (with `fields`, each holds only the fields named)', adminOrderPageSchema)
  @Paginated()
  @Authenticated({ admin: true })
  listAll(
    @Query({ schema: adminOrdersQuery }) query: AdminOrdersQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Page<Partial<AdminOrderDto>>> {
    return this.orders.listAll(query, loaders);
  }
}

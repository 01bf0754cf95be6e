import { Controller, Get, Param, Query, StreamableFile, UseInterceptors } from '@nestjs/common';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Loaders, LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { idParam } from '../products/products.schemas.js';
import type { AdminOrderDto, OrderDto } from './order.dto.js';
import { adminOrdersQuery, exportOrdersQuery, listOrdersQuery, type AdminOrdersQuery, type ExportOrdersQuery, type ListOrdersQuery } from './orders.schemas.js';
import { OrdersService } from './orders.service.js';

@Controller()
@UseInterceptors(LoadersInterceptor)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get('orders')
  @Authenticated()
  list(
    @CurrentUser() user: AuthUser,
    @Query(new ZodValidationPipe(listOrdersQuery)) query: ListOrdersQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Page<OrderDto>> {
    return this.orders.listOwn(user, query, loaders);
  }

  @Get('orders/:id')
  @Authenticated()
  get(@CurrentUser() user: AuthUser, @Param(new ZodValidationPipe(idParam)) { id }: { id: number }, @Loaders() loaders: RequestLoaders): Promise<OrderDto> {
    return this.orders.get(user, id, loaders);
  }

  @Get('admin/orders/export')
  @Authenticated({ admin: true })
  export(@Query(new ZodValidationPipe(exportOrdersQuery)) query: ExportOrdersQuery): StreamableFile {
    return new StreamableFile(this.orders.export(query), {
      type: query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="orders.${query.format}"`,
    });
  }

  @Get('admin/orders')
  @Authenticated({ admin: true })
  listAll(@Query(new ZodValidationPipe(adminOrdersQuery)) query: AdminOrdersQuery, @Loaders() loaders: RequestLoaders): Promise<Page<AdminOrderDto>> {
    return this.orders.listAll(query, loaders);
  }
}

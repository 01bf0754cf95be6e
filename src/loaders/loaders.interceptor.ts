import {
  Injectable,
  createParamDecorator,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { OrdersRepository } from '../orders/orders.repository.js';
import { ProductsCache } from '../products/products.cache.js';
import { UsersCache } from '../users/users.cache.js';
import { RequestLoaders } from './request-loaders.js';

const LOADERS = Symbol('loaders');

/**
 * Gives each request its own DataLoaders (batches and per-request memo never leak between
 * requests), without making any service request-scoped. Apply it to the controllers that use
 * `@Loaders()`.
 */
@Injectable()
export class LoadersInterceptor implements NestInterceptor {
  constructor(
    private readonly products: ProductsCache,
    private readonly users: UsersCache,
    private readonly orders: OrdersRepository,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getRequest<{ [LOADERS]?: RequestLoaders }>()[LOADERS] = new RequestLoaders(
      this.products,
      this.users,
      this.orders,
    );
    return next.handle();
  }
}

/** The current request's DataLoaders (needs `LoadersInterceptor` on the route). */
export const Loaders = createParamDecorator((_data: unknown, context: ExecutionContext): RequestLoaders => {
  const loaders = context.switchToHttp().getRequest<{ [LOADERS]?: RequestLoaders }>()[LOADERS];
  if (!loaders) throw new Error('@Loaders() needs LoadersInterceptor on the route');
  return loaders;
});

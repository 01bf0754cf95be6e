import { Module } from '@nestjs/common';
import { OrdersRepository } from '../orders/orders.repository.js';
import { ProductsDataModule } from '../products/products-data.module.js';
import { UsersModule } from '../users/users.module.js';
import { LoadersInterceptor } from './loaders.interceptor.js';

/** `LoadersInterceptor` with what it batches: product and user summaries, order items. */
@Module({
  imports: [ProductsDataModule, UsersModule],
  providers: [LoadersInterceptor, OrdersRepository],
  // Re-exported: `@UseInterceptors(LoadersInterceptor)` builds it in the controller's module.
  exports: [LoadersInterceptor, OrdersRepository, ProductsDataModule, UsersModule],
})
export class LoadersModule {}

import { Module } from '@nestjs/common';
import { LoadersModule } from '../loaders/loaders.module.js';
import { ProductsDataModule } from '../products/products-data.module.js';
import { OrderLifecycleController } from './order-lifecycle.controller.js';
import { OrderLifecycleRepository } from './order-lifecycle.repository.js';
import { OrderLifecycle } from './order-lifecycle.service.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [LoadersModule, ProductsDataModule],
  controllers: [OrdersController, OrderLifecycleController],
  providers: [OrdersService, OrdersRepository, OrderLifecycle, OrderLifecycleRepository],
})
export class OrdersModule {}

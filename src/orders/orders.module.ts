import { Module } from '@nestjs/common';
import { LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

@Module({
  controllers: [OrdersController],
  providers: [OrdersService, OrdersRepository, LoadersInterceptor],
})
export class OrdersModule {}

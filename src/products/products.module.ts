import { Module } from '@nestjs/common';
import { ProductsController } from './products.controller.js';
import { ProductsRepository } from './products.repository.js';
import { ProductsService } from './products.service.js';
import { ProductsWarmer } from './products-warmer.js';

@Module({
  controllers: [ProductsController],
  providers: [ProductsService, ProductsRepository, ProductsWarmer],
})
export class ProductsModule {}

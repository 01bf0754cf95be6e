import { Module } from '@nestjs/common';
import { ProductsDataModule } from './products-data.module.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';
import { ProductsWarmer } from './products-warmer.js';

@Module({
  imports: [ProductsDataModule],
  controllers: [ProductsController],
  providers: [ProductsService, ProductsWarmer],
})
export class ProductsModule {}

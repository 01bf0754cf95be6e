import { Module } from '@nestjs/common';
import { CategoriesDataModule } from '../categories/categories-data.module.js';
import { ProductsDataModule } from './products-data.module.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';
import { ProductsWarmer } from './products-warmer.js';

@Module({
  imports: [ProductsDataModule, CategoriesDataModule],
  controllers: [ProductsController],
  providers: [ProductsService, ProductsWarmer],
})
export class ProductsModule {}

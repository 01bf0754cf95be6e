import { Module } from '@nestjs/common';
import { ProductsCache } from './products.cache.js';
import { ProductsRepository } from './products.repository.js';

/** The products' data and cache, for every module that shows or changes products. */
@Module({ providers: [ProductsRepository, ProductsCache], exports: [ProductsRepository, ProductsCache] })
export class ProductsDataModule {}

import { Module } from '@nestjs/common';
import { CategoriesCache } from './categories.cache.js';
import { CategoriesRepository } from './categories.repository.js';

/** The categories' data and cache, for the modules that check a category or change its counts (products). */
@Module({ providers: [CategoriesRepository, CategoriesCache], exports: [CategoriesRepository, CategoriesCache] })
export class CategoriesDataModule {}

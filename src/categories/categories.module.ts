import { Module } from '@nestjs/common';
import { CategoriesDataModule } from './categories-data.module.js';
import { CategoriesController } from './categories.controller.js';
import { CategoriesService } from './categories.service.js';

@Module({ imports: [CategoriesDataModule], controllers: [CategoriesController], providers: [CategoriesService] })
export class CategoriesModule {}

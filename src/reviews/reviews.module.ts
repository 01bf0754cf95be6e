import { Module } from '@nestjs/common';
import { LoadersModule } from '../loaders/loaders.module.js';
import { ReviewsController } from './reviews.controller.js';
import { ReviewsRepository } from './reviews.repository.js';
import { ReviewsService } from './reviews.service.js';

@Module({ imports: [LoadersModule], controllers: [ReviewsController], providers: [ReviewsService, ReviewsRepository] })
export class ReviewsModule {}

import { Module } from '@nestjs/common';
import { LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import { ReviewsController } from './reviews.controller.js';
import { ReviewsService } from './reviews.service.js';

@Module({ controllers: [ReviewsController], providers: [ReviewsService, LoadersInterceptor] })
export class ReviewsModule {}

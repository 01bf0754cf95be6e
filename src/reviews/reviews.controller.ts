import { Body, Controller, Get, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Loaders, LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { idParam } from '../products/products.schemas.js';
import { createReviewBody, listReviewsQuery, type CreateReviewBody, type ListReviewsQuery } from './reviews.schemas.js';
import { ReviewsService, type ReviewDto } from './reviews.service.js';

@Controller('products/:id/reviews')
@UseInterceptors(LoadersInterceptor)
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get()
  list(
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Query(new ZodValidationPipe(listReviewsQuery)) query: ListReviewsQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Page<ReviewDto>> {
    return this.reviews.list(id, query, loaders);
  }

  @Post()
  @Authenticated()
  create(
    @CurrentUser() user: AuthUser,
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Body(new ZodValidationPipe(createReviewBody)) body: CreateReviewBody,
    @Loaders() loaders: RequestLoaders,
  ): Promise<ReviewDto> {
    return this.reviews.create(user, id, body, loaders);
  }
}

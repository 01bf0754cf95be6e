import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiJson, ApiProblems, ApiZodBody, ApiZodQuery } from '../common/openapi/zod-openapi.js';
import { pageOf, reviewSchema } from '../common/openapi/schemas.js';
import { Body, Controller, Get, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Loaders, LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { idParam } from '../common/http/query-params.js';
import { createReviewBody, listReviewsQuery, type CreateReviewBody, type ListReviewsQuery } from './reviews.schemas.js';
import { ReviewsService, type ReviewDto } from './reviews.service.js';

@ApiTags('reviews')
@Controller('products/:id/reviews')
@UseInterceptors(LoadersInterceptor)
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get()
  @ApiOperation({ summary: "A product's reviews, newest first, keyset-paginated" })
  @ApiIdParam()
  @ApiZodQuery(listReviewsQuery)
  @ApiJson(200, 'A page of reviews', pageOf(reviewSchema))
  @ApiProblems(400, 404)
  list(
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Query(new ZodValidationPipe(listReviewsQuery)) query: ListReviewsQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Page<ReviewDto>> {
    return this.reviews.list(id, query, loaders);
  }

  @Post()
  @ApiOperation({ summary: 'Review a product (one per user and product)' })
  @ApiIdParam()
  @ApiZodBody(createReviewBody)
  @ApiJson(201, 'The review', reviewSchema)
  @ApiProblems(400, 404, 409)
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

import { ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import { Body, Controller, Get, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Paginated } from '../common/pagination/paginated.decorator.js';
import { Loaders, LoadersInterceptor } from '../loaders/loaders.interceptor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { idParam } from '../common/http/query-params.js';
import { reviewPageSchema, reviewSchema, type ReviewDto } from './review.dto.js';
import { createReviewBody, listReviewsQuery, type CreateReviewBody, type ListReviewsQuery } from './reviews.schemas.js';
import { ReviewsService } from './reviews.service.js';
import { NOT_VERIFIED } from '../users/user-access.js';

@ApiTags('reviews')
@Controller('products/:id/reviews')
@UseInterceptors(LoadersInterceptor)
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get()
  @ApiRoute({ id: 'reviews.list', summary: "A product's reviews, newest first, keyset-paginated" })
  @ApiJson(200, 'A page of reviews (with `fields`, each holds only the fields named)', reviewPageSchema)
  @ApiProblem(404, 'No such product')
  @Paginated()
  list(
    @Param({ schema: idParam }) { id }: { id: number },
    @Query({ schema: listReviewsQuery }) query: ListReviewsQuery,
    @Loaders() loaders: RequestLoaders,
  ): Promise<Page<Partial<ReviewDto>>> {
    return this.reviews.list(id, query, loaders);
  }

  @Post()
  @ApiRoute({
    id: 'reviews.create',
    summary: 'Review a product you bought (in a paid, shipped or delivered order); one per user and product',
    writes: true,
  })
  @ApiJson(201, 'The review', reviewSchema)
  @ApiProblem(404, 'No such product')
  @ApiProblem(
    403,
    `Only buyers of this product can review it (type \`not-a-buyer\`); or: ${NOT_VERIFIED} (type \`email-not-verified\`)`,
  )
  @ApiProblem(409, 'You have already reviewed this product, or it is archived (type `product-archived`)')
  @Authenticated({ verified: true })
  create(
    @CurrentUser() user: AuthUser,
    @Param({ schema: idParam }) { id }: { id: number },
    @Body({ schema: createReviewBody }) body: CreateReviewBody,
    @Loaders() loaders: RequestLoaders,
  ): Promise<ReviewDto> {
    return this.reviews.create(user, id, body, loaders);
  }
}

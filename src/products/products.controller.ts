import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiJson, ApiProblems, ApiZodBody, ApiZodQuery } from '../common/openapi/zod-openapi.js';
import { pageOf, productDetailSchema, productSchema, searchResultSchema } from '../common/openapi/schemas.js';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { Cacheable } from '../cache/index.js';
import { ZodValidationPipe } from '../common/http/index.js';
import { idParam } from '../common/http/query-params.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import type { ProductDetailDto, ProductDto } from './product.dto.js';
import { RateLimit } from '../rate-limit/index.js';
import {
  createProductBody,
  listProductsQuery,
  productDetailQuery,
  searchProductsQuery,
  updateProductBody,
  type CreateProductBody,
  type ListProductsQuery,
  type ProductDetailQuery,
  type SearchProductsQuery,
  type UpdateProductBody,
} from './products.schemas.js';
import {
  PRODUCTS_NAMESPACE,
  PRODUCT_LISTS_NAMESPACE,
  PRODUCT_LISTS_TTL_MS,
  PRODUCT_SEARCH_NAMESPACE,
  PRODUCT_SEARCH_TTL_MS,
  PRODUCT_TTL_MS,
  productTag,
} from './products.cache.js';
import { ProductsService } from './products.service.js';

@ApiTags('catalog')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @ApiOperation({ summary: 'Active products, keyset-paginated, with filters and sorts (cached 10 s)' })
  @ApiZodQuery(listProductsQuery)
  @ApiJson(200, 'A page of products', pageOf(productSchema))
  @ApiProblems(400)
  @Cacheable({ namespace: PRODUCT_LISTS_NAMESPACE, query: listProductsQuery, ttlMs: PRODUCT_LISTS_TTL_MS })
  list(@Query(new ZodValidationPipe(listProductsQuery)) query: ListProductsQuery): Promise<Page<Partial<ProductDto>>> {
    return this.products.list(query);
  }

  @Get('search')
  @RateLimit('search')
  @ApiOperation({ summary: 'Full-text and typo-tolerant search, ranked, with highlights (cached 30 s)' })
  @ApiZodQuery(searchProductsQuery)
  @ApiJson(200, 'Ranked matches', searchResultSchema)
  @ApiProblems(400)
  @Cacheable({ namespace: PRODUCT_SEARCH_NAMESPACE, query: searchProductsQuery, ttlMs: PRODUCT_SEARCH_TTL_MS })
  search(@Query(new ZodValidationPipe(searchProductsQuery)) query: SearchProductsQuery) {
    return this.products.search(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A product with its category, rating and latest reviews (ETag, 304, X-Cache)' })
  @ApiIdParam()
  @ApiZodQuery(productDetailQuery)
  @ApiJson(200, 'The product', productDetailSchema)
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match)' })
  @ApiProblems(400, 404)
  // Keyed `<id>` alone without `?fields=`: what `ProductsService` stores after a write.
  @Cacheable({
    namespace: PRODUCTS_NAMESPACE,
    params: ['id'],
    query: productDetailQuery,
    ttlMs: PRODUCT_TTL_MS,
    tags: (request) => [productTag(idOf(request))],
  })
  get(
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Query(new ZodValidationPipe(productDetailQuery)) { fields }: ProductDetailQuery,
  ): Promise<Partial<ProductDetailDto>> {
    return this.products.get(id, fields);
  }

  @Post()
  @ApiOperation({ summary: 'Create a product (admin)' })
  @ApiZodBody(createProductBody)
  @ApiJson(201, 'The product as stored', productDetailSchema)
  @ApiProblems(400, 409, 422)
  @Authenticated({ admin: true })
  create(@Body(new ZodValidationPipe(createProductBody)) body: CreateProductBody): Promise<ProductDetailDto> {
    return this.products.create(body);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a product (admin); the response carries X-Consistency-Token' })
  @ApiIdParam()
  @ApiZodBody(updateProductBody)
  @ApiJson(200, 'The product as stored', productDetailSchema)
  @ApiProblems(400, 404, 409, 422)
  @Authenticated({ admin: true })
  update(
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Body(new ZodValidationPipe(updateProductBody)) body: UpdateProductBody,
  ): Promise<ProductDetailDto> {
    return this.products.update(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Archive a product (admin); orders keep pointing at it' })
  @ApiIdParam()
  @ApiResponse({ status: 204, description: 'Archived' })
  @ApiProblems(400, 404)
  @HttpCode(204)
  @Authenticated({ admin: true })
  async archive(@Param(new ZodValidationPipe(idParam)) { id }: { id: number }): Promise<void> {
    await this.products.archive(id);
  }
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

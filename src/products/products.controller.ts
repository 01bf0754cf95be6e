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
  PRODUCT_LISTS_TAG,
  PRODUCT_TTL_MS,
  ProductsService,
  productTag,
} from './products.service.js';

@ApiTags('catalog')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @ApiOperation({ summary: 'Active products, keyset-paginated, with filters and sorts (cached 10 s)' })
  @ApiZodQuery(listProductsQuery)
  @ApiJson(200, 'A page of products', pageOf(productSchema))
  @ApiProblems(400)
  @Cacheable({ namespace: 'product-lists', ttlMs: 10_000, tags: () => [PRODUCT_LISTS_TAG] })
  list(@Query(new ZodValidationPipe(listProductsQuery)) query: ListProductsQuery): Promise<Page<Partial<ProductDto>>> {
    return this.products.list(query);
  }

  @Get('search')
  @RateLimit('search')
  @ApiOperation({ summary: 'Full-text and typo-tolerant search, ranked, with highlights (cached 30 s)' })
  @ApiZodQuery(searchProductsQuery)
  @ApiJson(200, 'Ranked matches', searchResultSchema)
  @ApiProblems(400)
  @Cacheable({ namespace: 'product-search', ttlMs: 30_000, tags: () => [PRODUCT_LISTS_TAG] })
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
  @Cacheable({
    namespace: PRODUCTS_NAMESPACE,
    key: detailKey,
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

/** The full product is keyed by its id alone (what refresh-after-write sets); `?fields=` views apart. */
function detailKey(request: FastifyRequest): string {
  const { fields } = request.query as { fields?: string };
  return fields === undefined ? idOf(request) : `${idOf(request)}?fields=${fields}`;
}

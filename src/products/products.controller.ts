import { ApiTags } from '@nestjs/swagger';
import { ApiEmpty, ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { Cacheable } from '../cache/index.js';
import { idParam } from '../common/http/query-params.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Paginated } from '../common/pagination/paginated.decorator.js';
import {
  productDetailSchema,
  productPageSchema,
  searchResultSchema,
  type ProductDetailDto,
  type ProductDto,
  type SearchResultDto,
} from './product.dto.js';
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
  @ApiRoute({ id: 'products.list', summary: 'Active products, keyset-paginated, with filters and sorts (cached 10 s)' })
  @ApiJson(200, 'A page of products (with `fields`, each holds only the fields named)', productPageSchema)
  @ApiEmpty(304, 'Not modified (If-None-Match)')
  @ApiProblem(422, 'No such category (categoryId)')
  @Paginated()
  @Cacheable({ namespace: PRODUCT_LISTS_NAMESPACE, query: listProductsQuery, ttlMs: PRODUCT_LISTS_TTL_MS })
  list(@Query({ schema: listProductsQuery }) query: ListProductsQuery): Promise<Page<Partial<ProductDto>>> {
    return this.products.list(query);
  }

  @Get('search')
  @RateLimit('search')
  @ApiRoute({
    id: 'products.search',
    summary: 'Full-text and typo-tolerant search, ranked, with highlights (cached 30 s)',
  })
  @ApiJson(200, 'Ranked matches (with `fields`, each holds only the fields named)', searchResultSchema)
  @ApiEmpty(304, 'Not modified (If-None-Match)')
  @Paginated({ param: 'page', next: 'nextPage' })
  @Cacheable({ namespace: PRODUCT_SEARCH_NAMESPACE, query: searchProductsQuery, ttlMs: PRODUCT_SEARCH_TTL_MS })
  search(@Query({ schema: searchProductsQuery }) query: SearchProductsQuery): Promise<Partial<SearchResultDto>> {
    return this.products.search(query);
  }

  @Get(':id')
  @ApiRoute({
    id: 'products.get',
    summary: 'A product with its category, rating and latest reviews (ETag, 304, X-Cache)',
  })
  @ApiJson(200, 'The product (with `fields`, only the fields named)', productDetailSchema)
  @ApiEmpty(304, 'Not modified (If-None-Match)')
  @ApiProblem(404, 'No such product')
  // Keyed `<id>` alone without `?fields=`: what `ProductsService` stores after a write.
  @Cacheable({
    namespace: PRODUCTS_NAMESPACE,
    params: ['id'],
    query: productDetailQuery,
    ttlMs: PRODUCT_TTL_MS,
    tags: (request) => [productTag(idOf(request))],
  })
  get(
    @Param({ schema: idParam }) { id }: { id: number },
    @Query({ schema: productDetailQuery }) { fields }: ProductDetailQuery,
  ): Promise<Partial<ProductDetailDto>> {
    return this.products.get(id, fields);
  }

  @Post()
  @ApiRoute({ id: 'products.create', summary: 'Create a product (admin)', writes: true })
  @ApiJson(201, 'The product as stored', productDetailSchema)
  @ApiProblem(409, 'The SKU is taken')
  @ApiProblem(422, 'No such category')
  @Authenticated({ admin: true })
  create(@Body({ schema: createProductBody }) body: CreateProductBody): Promise<ProductDetailDto> {
    return this.products.create(body);
  }

  @Patch(':id')
  @ApiRoute({ id: 'products.update', summary: 'Change a product (admin)', writes: true })
  @ApiJson(200, 'The product as stored', productDetailSchema)
  @ApiProblem(404, 'No such product')
  @ApiProblem(409, 'The SKU is taken')
  @ApiProblem(422, 'No such category')
  @Authenticated({ admin: true })
  update(
    @Param({ schema: idParam }) { id }: { id: number },
    @Body({ schema: updateProductBody }) body: UpdateProductBody,
  ): Promise<ProductDetailDto> {
    return this.products.update(id, body);
  }

  @Delete(':id')
  @ApiRoute({ id: 'products.archive', summary: 'Archive a product (admin); orders keep pointing at it', writes: true })
  @ApiEmpty(204, 'Archived')
  @ApiProblem(404, 'No such product')
  @HttpCode(204)
  @Authenticated({ admin: true })
  async archive(@Param({ schema: idParam }) { id }: { id: number }): Promise<void> {
    await this.products.archive(id);
  }
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

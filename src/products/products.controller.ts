import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { Cacheable } from '../cache/index.js';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import type { ProductDetailDto, ProductDto } from './product.dto.js';
import {
  createProductBody,
  idParam,
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
import { PRODUCTS_NAMESPACE, PRODUCT_LISTS_TAG, ProductsService, productTag } from './products.service.js';

@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @Cacheable({ namespace: 'product-lists', ttlMs: 10_000, tags: () => [PRODUCT_LISTS_TAG] })
  list(@Query(new ZodValidationPipe(listProductsQuery)) query: ListProductsQuery): Promise<Page<Partial<ProductDto>>> {
    return this.products.list(query);
  }

  @Get('search')
  @Cacheable({ namespace: 'product-search', ttlMs: 30_000, tags: () => [PRODUCT_LISTS_TAG] })
  search(@Query(new ZodValidationPipe(searchProductsQuery)) query: SearchProductsQuery) {
    return this.products.search(query);
  }

  @Get(':id')
  @Cacheable({ namespace: PRODUCTS_NAMESPACE, key: detailKey, tags: (request) => [productTag(idOf(request))] })
  get(
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Query(new ZodValidationPipe(productDetailQuery)) { fields }: ProductDetailQuery,
  ): Promise<Partial<ProductDetailDto>> {
    return this.products.get(id, fields);
  }

  @Post()
  @Authenticated({ admin: true })
  create(@Body(new ZodValidationPipe(createProductBody)) body: CreateProductBody): Promise<ProductDetailDto> {
    return this.products.create(body);
  }

  @Patch(':id')
  @Authenticated({ admin: true })
  update(
    @Param(new ZodValidationPipe(idParam)) { id }: { id: number },
    @Body(new ZodValidationPipe(updateProductBody)) body: UpdateProductBody,
  ): Promise<ProductDetailDto> {
    return this.products.update(id, body);
  }

  @Delete(':id')
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

import { Controller, Get, Param, Query } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Cacheable } from '../cache/index.js';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import type { ProductDto } from './product.dto.js';
import { idParam, listProductsQuery, type ListProductsQuery } from './products.schemas.js';
import { PRODUCTS_NAMESPACE, PRODUCT_LISTS_TAG, ProductsService, productTag } from './products.service.js';

@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @Cacheable({ namespace: 'product-lists', ttlMs: 10_000, tags: () => [PRODUCT_LISTS_TAG] })
  list(@Query(new ZodValidationPipe(listProductsQuery)) query: ListProductsQuery): Promise<Page<ProductDto>> {
    return this.products.list(query);
  }

  @Get(':id')
  @Cacheable({ namespace: PRODUCTS_NAMESPACE, key: productIdOf, tags: (request) => [productTag(productIdOf(request))] })
  get(@Param(new ZodValidationPipe(idParam)) { id }: { id: number }): Promise<ProductDto> {
    return this.products.get(id);
  }
}

function productIdOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

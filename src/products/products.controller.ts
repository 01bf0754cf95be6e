import { Controller, Get, Param, Query } from '@nestjs/common';
import { ZodValidationPipe } from '../common/http/index.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import type { ProductDto } from './product.dto.js';
import { idParam, listProductsQuery, type ListProductsQuery } from './products.schemas.js';
import { ProductsService } from './products.service.js';

@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  list(@Query(new ZodValidationPipe(listProductsQuery)) query: ListProductsQuery): Promise<Page<ProductDto>> {
    return this.products.list(query);
  }

  @Get(':id')
  get(@Param(new ZodValidationPipe(idParam)) { id }: { id: number }): Promise<ProductDto> {
    return this.products.get(id);
  }
}

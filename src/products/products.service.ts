import { Injectable } from '@nestjs/common';
import { NotFoundProblem } from '../common/http/index.js';
import { encodeCursor, type Page } from '../common/pagination/keyset-cursor.js';
import { toProductDto, type ProductDto } from './product.dto.js';
import type { ListProductsQuery } from './products.schemas.js';
import { ProductsRepository } from './products.repository.js';

@Injectable()
export class ProductsService {
  constructor(private readonly products: ProductsRepository) {}

  async get(id: number): Promise<ProductDto> {
    const row = await this.products.findById(id);
    if (!row) throw new NotFoundProblem(`Product ${id} does not exist.`);
    return toProductDto(row);
  }

  async list({ limit, cursor }: ListProductsQuery): Promise<Page<ProductDto>> {
    // One extra row tells whether another page exists without a COUNT.
    const rows = await this.products.findNewest(limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map(toProductDto),
      nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }
}

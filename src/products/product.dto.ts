import type { ProductStatus } from '../generated/prisma/client.js';

/** What clients see of a product. Built field by field: internal columns never leak. */
export interface ProductDto {
  id: number;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  status: ProductStatus;
  categoryId: number;
  createdAt: string;
  updatedAt: string;
}

export type ProductRow = Omit<ProductDto, 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date };

export function toProductDto(row: ProductRow): ProductDto {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.priceCents,
    currency: row.currency,
    stock: row.stock,
    status: row.status,
    categoryId: row.categoryId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

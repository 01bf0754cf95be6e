import { Injectable } from '@nestjs/common';
import { NotFoundProblem, ProblemException, UnprocessableProblem } from '../common/http/index.js';
import { constraintViolation } from '../database/index.js';
import { CategoriesCache } from './categories.cache.js';
import { CategoriesRepository } from './categories.repository.js';
import {
  toCategoryDto,
  type CategoryDto,
  type CategoryListDto,
  type CreateCategoryBody,
  type UpdateCategoryBody,
} from './categories.schemas.js';

/**
 * The category tree: a flat list (each with its `parentId`) with counts of active products, and
 * admin create, rename and move. The database keeps the tree a tree (a CHECK and a trigger) and
 * names and slugs unique; this turns its refusals into problems.
 */
@Injectable()
export class CategoriesService {
  constructor(
    private readonly categories: CategoriesRepository,
    private readonly cache: CategoriesCache,
  ) {}

  async list(): Promise<CategoryListDto> {
    return { data: (await this.categories.list()).map(toCategoryDto) };
  }

  async get(id: number): Promise<CategoryDto> {
    const category = await this.categories.find(id);
    if (!category) throw new NotFoundProblem(`Category ${id} does not exist.`);
    return toCategoryDto(category);
  }

  async create(body: CreateCategoryBody): Promise<CategoryDto> {
    const id = await this.categories.create(body).catch((error: unknown) => translateWriteError(error, body));
    return this.written(id);
  }

  async update(id: number, change: UpdateCategoryBody): Promise<CategoryDto> {
    if (change.parentId === id)
      throw new UnprocessableProblem(`Category ${id} cannot be its own parent.`, [
        { field: 'body.parentId', message: 'must not be the category itself' },
      ]);
    const found = await this.categories
      .update(id, change)
      .catch((error: unknown) => translateWriteError(error, change));
    if (!found) throw new NotFoundProblem(`Category ${id} does not exist.`);
    return this.written(id);
  }

  /** After a write: every cached category and the list go (counts of parents move with a child), then the fresh row. */
  private async written(id: number): Promise<CategoryDto> {
    await this.cache.changed();
    const category = await this.categories.find(id, { fresh: true });
    if (!category) throw new NotFoundProblem(`Category ${id} does not exist.`);
    return toCategoryDto(category);
  }
}

function translateWriteError(error: unknown, body: { parentId?: number | null }): never {
  const violation = constraintViolation(error);
  if (violation?.code === '23505') {
    const field = violation.constraint === 'categories_slug_key' ? 'slug' : 'name';
    throw new ProblemException(409, 'conflict', `A category with this ${field} already exists.`, [
      { field: `body.${field}`, message: 'is taken' },
    ]);
  }
  if (violation?.code === '23503' && violation.constraint === 'categories_parent_id_fkey')
    throw new UnprocessableProblem(`Category ${body.parentId} does not exist.`, [
      { field: 'body.parentId', message: 'does not exist' },
    ]);
  // The categories_refuse_cycle trigger (or categories_parent_check).
  if (violation?.code === '23514')
    throw new ProblemException(409, 'conflict', `The move would make a category its own ancestor.`, [
      { field: 'body.parentId', message: 'must not be the category itself or one of its descendants' },
    ]);
  throw error;
}

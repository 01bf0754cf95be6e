import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { Cacheable } from '../cache/index.js';
import { idParam } from '../common/http/query-params.js';
import { ApiEmpty, ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import {
  CATEGORIES_NAMESPACE,
  CATEGORIES_TAG,
  CATEGORIES_TTL_MS,
  CATEGORY_LIST_NAMESPACE,
} from './categories.cache.js';
import {
  categoryListSchema,
  categorySchema,
  createCategoryBody,
  updateCategoryBody,
  type CategoryDto,
  type CategoryListDto,
  type CreateCategoryBody,
  type UpdateCategoryBody,
} from './categories.schemas.js';
import { CategoriesService } from './categories.service.js';

@ApiTags('catalog')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Get()
  @ApiRoute({
    id: 'categories.list',
    summary: 'Every category, flat with its parentId, and counts of active products (cached; dropped on writes)',
  })
  @ApiJson(200, 'Every category, by name', categoryListSchema)
  @ApiEmpty(304, 'Not modified (If-None-Match)')
  @Cacheable({ namespace: CATEGORY_LIST_NAMESPACE, ttlMs: CATEGORIES_TTL_MS, tags: () => [CATEGORIES_TAG] })
  list(): Promise<CategoryListDto> {
    return this.categories.list();
  }

  @Get(':id')
  @ApiRoute({ id: 'categories.get', summary: 'A category with its counts of active products (cached)' })
  @ApiJson(200, 'The category', categorySchema)
  @ApiEmpty(304, 'Not modified (If-None-Match)')
  @ApiProblem(404, 'No such category')
  @Cacheable({
    namespace: CATEGORIES_NAMESPACE,
    params: ['id'],
    ttlMs: CATEGORIES_TTL_MS,
    tags: () => [CATEGORIES_TAG],
  })
  get(@Param({ schema: idParam }) { id }: { id: number }): Promise<CategoryDto> {
    return this.categories.get(id);
  }

  @Post()
  @ApiRoute({
    id: 'categories.create',
    summary: 'Create a category (admin); the slug is derived from the name unless given',
    writes: true,
  })
  @ApiJson(201, 'The category as stored', categorySchema)
  @ApiProblem(409, 'The name or slug is taken')
  @ApiProblem(422, 'No such parent category')
  @Authenticated({ admin: true })
  create(@Body({ schema: createCategoryBody }) body: CreateCategoryBody): Promise<CategoryDto> {
    return this.categories.create(body);
  }

  @Patch(':id')
  @ApiRoute({ id: 'categories.update', summary: 'Rename or move a category (admin)', writes: true })
  @ApiJson(200, 'The category as stored', categorySchema)
  @ApiProblem(404, 'No such category')
  @ApiProblem(409, 'The name or slug is taken, or the move would put the category under itself or a descendant')
  @ApiProblem(422, 'No such parent category, or the category named as its own parent')
  @Authenticated({ admin: true })
  update(
    @Param({ schema: idParam }) { id }: { id: number },
    @Body({ schema: updateCategoryBody }) body: UpdateCategoryBody,
  ): Promise<CategoryDto> {
    return this.categories.update(id, body);
  }
}

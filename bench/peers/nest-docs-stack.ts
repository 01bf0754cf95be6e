/**
 * Baseline (c): the stack the NestJS docs lead to, minimally — Nest on its default Express adapter,
 * `@nestjs/cache-manager` with a Keyv Redis store and `CacheInterceptor`, Prisma for the data —
 * serving the same route with the same JSON (the API's own SQL and DTO mapping). Run as its own
 * process: PORT=… DATABASE_URL=… REDIS_URL=… node --import tsx bench/peers/nest-docs-stack.ts
 * (explicit @Inject: tsx emits no decorator metadata).
 */
import 'reflect-metadata';
import { createKeyv } from '@keyv/redis';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Inject, Injectable, Module, NotFoundException, Param, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { toProductDetailDto } from '../../src/products/product.dto.js';
import { productDetailsSql } from '../../src/products/products.repository.js';
import type { ProductDetailRow } from '../../src/products/product.dto.js';

@Injectable()
class PrismaService extends PrismaClient {
  constructor() {
    super({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL, max: 10 }) });
  }
}

@Controller('products')
@UseInterceptors(CacheInterceptor)
class ProductsController {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  @Get(':id')
  async get(@Param('id') id: string) {
    const [row] = await this.prisma.$queryRaw<ProductDetailRow[]>(productDetailsSql([Number(id)]));
    if (!row) throw new NotFoundException();
    return toProductDetailDto(row);
  }
}

@Module({
  imports: [
    CacheModule.registerAsync({
      useFactory: () => ({ stores: [createKeyv(process.env.REDIS_URL)], ttl: 60_000 }),
    }),
  ],
  controllers: [ProductsController],
  providers: [PrismaService],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT), '127.0.0.1');
console.log('ready');

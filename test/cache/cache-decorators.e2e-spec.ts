import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CacheEvict, CacheInterceptor, CacheModule, CacheService, Cacheable } from '../../src/cache/index.js';
import { cacheRedis, inspectRedis, keysPerNode, REDIS_MODES } from '../support/redis-mode.js';

let version = 0;

@Controller('fixture')
class FixtureController {
  @Get('items/:id')
  @Cacheable({
    namespace: 'items',
    params: ['id'],
    tags: () => ['items'],
    cacheControl: 'private, no-cache',
  })
  item(@Param('id') id: string) {
    return { id, version };
  }

  @Post('items/:id')
  @CacheEvict({ keys: (request) => [{ namespace: 'items', id: (request.params as { id: string }).id }] })
  update() {
    version++;
    return { version };
  }

  @Post('items/:id/fail')
  @CacheEvict({ tags: () => ['items'] })
  failing(): never {
    version++;
    throw new Error('the write failed');
  }
}

describe.each(REDIS_MODES)('@Cacheable / @CacheEvict and operator tools (%s Redis)', (mode) => {
  let app: NestFastifyApplication;
  let cache: CacheService;
  const prefix = `store-api:test:decorators-${Date.now()}`;

  beforeAll(async () => {
    @Module({
      imports: [CacheModule.forRoot({ redis: cacheRedis(mode), prefix })],
      controllers: [FixtureController],
      providers: [{ provide: APP_INTERCEPTOR, useExisting: CacheInterceptor }],
    })
    class FixtureModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FixtureModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useLogger(false);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    cache = app.get(CacheService);
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = () => app.inject({ method: 'GET', url: '/fixture/items/7' });

  it('evicts after a successful mutation, and never after a failed one', async () => {
    const first = await get();
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect((await get()).headers['x-cache']).toBe('HIT');

    expect((await app.inject({ method: 'POST', url: '/fixture/items/7/fail' })).statusCode).toBe(500);
    const afterFailure = await get();
    expect(afterFailure.headers['x-cache'], 'a failed write evicts nothing').toBe('HIT');
    expect(afterFailure.json().version).toBe(first.json().version);

    expect((await app.inject({ method: 'POST', url: '/fixture/items/7' })).statusCode).toBe(201);
    const afterUpdate = await get();
    expect(afterUpdate.headers['x-cache']).toBe('MISS');
    expect(afterUpdate.json().version).toBe(version);
  });

  it('deletes by pattern with SCAN for operators (on every node of a cluster), and other instances drop their copies', async () => {
    const other = new CacheService({ redis: cacheRedis(mode), prefix });
    await other.onModuleInit();
    // Subscribed (its first resync), so what it caches next is covered by the bus.
    await expect.poll(() => other.stats.busResyncs, { timeout: 5_000 }).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++) await cache.set({ namespace: 'ops', id: i }, i);
    await cache.set({ namespace: 'keep', id: 1 }, 'kept');
    const redis = inspectRedis(mode, 'cache');
    try {
      const perNode = await keysPerNode(redis, `${prefix}:ops:*`);
      expect(perNode.flat()).toHaveLength(50);
      // A cluster spreads them over every master: one SCAN would find a third of them.
      if (mode === 'cluster') expect(perNode.map((keys) => keys.length > 0)).toEqual([true, true, true]);
    } finally {
      redis.disconnect();
    }
    try {
      // In the other instance's memory now: only a bus message can drop it there.
      expect(await other.get({ namespace: 'ops', id: 3 })).toBe(3);
      expect(await cache.deleteByPattern('ops:*', 10)).toBe(50);
      expect(await cache.get({ namespace: 'ops', id: 3 })).toBeUndefined();
      expect(await cache.get({ namespace: 'keep', id: 1 })).toBe('kept');
      await expect.poll(() => other.get({ namespace: 'ops', id: 3 }), { timeout: 2_000 }).toBeUndefined();
    } finally {
      other.onApplicationShutdown();
    }
  });
});

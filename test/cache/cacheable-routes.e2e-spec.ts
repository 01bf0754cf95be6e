import {
  Controller,
  Get,
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { FastifyRequest } from 'fastify';
import { AUTHENTICATED } from '../../src/auth/auth.constants.js';
import { Authenticated } from '../../src/auth/authenticated.decorator.js';
import { CacheInterceptor, CacheModule, Cacheable } from '../../src/cache/index.js';
import { cacheRedis } from '../support/redis-mode.js';

/** Stands in for the auth guard: `x-test-user` becomes `request.user.id`; `@Authenticated` needs one. */
@Injectable()
class HeaderUserGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const user = request.headers['x-test-user'];
    if (typeof user === 'string') request.user = { id: Number(user), role: 'customer', tokenVersion: 0 };
    const required = this.reflector.getAllAndOverride(AUTHENTICATED, [context.getHandler(), context.getClass()]);
    if (required && !request.user) throw new UnauthorizedException();
    return true;
  }
}

let served = 0;

@Controller('mine')
class PerUserController {
  @Get('orders')
  @Authenticated()
  @Cacheable({ namespace: 'my-orders', perUser: true })
  orders() {
    return { served: ++served };
  }
}

@Controller('unsafe')
class UnsafeController {
  @Get('orders')
  @Authenticated()
  @Cacheable({ namespace: 'unsafe-orders', cacheControl: 'private, no-cache' })
  orders() {
    return [];
  }
}

@Controller('unsafe-class')
@Authenticated({ admin: true })
class UnsafeClassController {
  @Get()
  @Cacheable({ namespace: 'unsafe-reports' })
  reports() {
    return [];
  }
}

const prefix = `store-api:test:cacheable-routes-${Date.now()}`;

async function fixtureApp(controllers: Type[]): Promise<NestFastifyApplication> {
  @Module({
    imports: [CacheModule.forRoot({ redis: cacheRedis('single'), prefix, authenticatedMetadata: [AUTHENTICATED] })],
    controllers,
    providers: [
      { provide: APP_GUARD, useClass: HeaderUserGuard },
      { provide: APP_INTERCEPTOR, useExisting: CacheInterceptor },
    ],
  })
  class FixtureModule {}
  const moduleRef = await Test.createTestingModule({ imports: [FixtureModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  app.useLogger(false);
  return app;
}

describe('@Cacheable on authenticated routes', () => {
  it.each([
    [UnsafeController, /UnsafeController\.orders \(GET \/unsafe\/orders\)/],
    [UnsafeClassController, /UnsafeClassController\.reports \(GET \/unsafe-class\)/],
  ])('refuses to boot with %o cached without perUser, naming the route', async (controller, named) => {
    const app = await fixtureApp([PerUserController, controller]);
    try {
      await expect(app.init()).rejects.toThrow(named);
    } finally {
      await app.close().catch(() => undefined);
    }
  });

  it('refuses perUser with a public Cache-Control when the decorator is applied', () => {
    expect(() => Cacheable({ namespace: 'x', perUser: true, cacheControl: 'public, max-age=60' })).toThrow(/private/);
  });

  describe('perUser', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await fixtureApp([PerUserController]);
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    afterAll(async () => {
      await app?.close();
    });

    const get = (user?: number, url = '/mine/orders') =>
      app.inject({ method: 'GET', url, headers: user === undefined ? {} : { 'x-test-user': String(user) } });

    it('caches one private entry per caller: no caller ever gets another one', async () => {
      const [alice, bob] = [100 + Math.floor(Math.random() * 1e6), 2_000_000 + Math.floor(Math.random() * 1e6)];
      const first = await get(alice);
      expect(first.headers['x-cache']).toBe('MISS');
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const again = await get(alice);
      expect(again.headers['x-cache']).toBe('HIT');
      expect(again.json()).toEqual(first.json());

      const other = await get(bob);
      expect(other.headers['x-cache'], "Bob never gets Alice's entry").toBe('MISS');
      expect(other.json().served).not.toBe(first.json().served);
      expect((await get(bob)).json()).toEqual(other.json());
      expect((await get(alice)).json()).toEqual(first.json());

      // Never answered before the guard: no caller, no entry (a 401), however hot the key.
      const anonymous = await get();
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['x-cache']).toBeUndefined();
      // A query string the route does not declare is not cached (nor a separate entry).
      expect((await get(alice, '/mine/orders?x=1')).headers['x-cache']).toBeUndefined();
    });
  });
});

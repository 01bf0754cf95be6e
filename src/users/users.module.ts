import { Module } from '@nestjs/common';
import { UsersCache } from './users.cache.js';
import { UsersRepository } from './users.repository.js';

/** Users' data and cache, for auth and for the pages that show users. */
@Module({ providers: [UsersRepository, UsersCache], exports: [UsersRepository, UsersCache] })
export class UsersModule {}

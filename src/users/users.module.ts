import { Module } from '@nestjs/common';
import { UserAccess } from './user-access.js';
import { UsersCache } from './users.cache.js';
import { UsersRepository } from './users.repository.js';

/** Users' data and cache, for auth and for the pages that show users. */
@Module({ providers: [UsersRepository, UsersCache, UserAccess], exports: [UsersRepository, UsersCache, UserAccess] })
export class UsersModule {}

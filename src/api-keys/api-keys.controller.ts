import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { idParam } from '../common/http/query-params.js';
import { ApiEmpty, ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import { Paginated } from '../common/pagination/paginated.decorator.js';
import {
  apiKeyPageSchema,
  issueApiKeyBody,
  issuedApiKeySchema,
  listApiKeysQuery,
  type ApiKeyDto,
  type IssueApiKeyBody,
  type IssuedApiKey,
  type ListApiKeysQuery,
} from './api-keys.schemas.js';
import { ApiKeysService } from './api-keys.service.js';

@ApiTags('api-keys')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiRoute({
    id: 'apiKeys.issue',
    summary: 'Issue an API key (admin); the key is in this answer only, never again',
    writes: true,
  })
  @ApiJson(201, 'The key, shown once (Cache-Control: no-store)', issuedApiKeySchema)
  @ApiProblem(409, 'A key with this name exists')
  @Authenticated({ admin: true })
  // The key must not linger in a cache on its way back.
  @Header('Cache-Control', 'no-store')
  issue(@Body({ schema: issueApiKeyBody }) body: IssueApiKeyBody): Promise<IssuedApiKey> {
    return this.apiKeys.issue(body);
  }

  @Get()
  @ApiRoute({ id: 'apiKeys.list', summary: 'API keys, newest first, revoked and expired ones included (admin)' })
  @ApiJson(200, 'A page of keys (never a key or its hash)', apiKeyPageSchema)
  @Paginated()
  @Authenticated({ admin: true })
  list(@Query({ schema: listApiKeysQuery }) query: ListApiKeysQuery): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(query);
  }

  @Delete(':id')
  @ApiRoute({ id: 'apiKeys.revoke', summary: 'Revoke an API key for good (admin); again is a no-op', writes: true })
  @ApiEmpty(204, 'Revoked')
  @ApiProblem(404, 'No such key')
  @HttpCode(204)
  @Authenticated({ admin: true })
  async revoke(@Param({ schema: idParam }) { id }: { id: number }): Promise<void> {
    await this.apiKeys.revoke(id);
  }
}

import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ZodValidationPipe } from '../common/http/index.js';
import { idParam } from '../common/http/query-params.js';
import { pageOf } from '../common/openapi/schemas.js';
import { ApiIdParam, ApiJson, ApiProblems, ApiZodBody, ApiZodQuery } from '../common/openapi/zod-openapi.js';
import type { Page } from '../common/pagination/keyset-cursor.js';
import {
  apiKeySchema,
  issueApiKeyBody,
  issuedApiKeySchema,
  listApiKeysQuery,
  responseSchema,
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
  @ApiOperation({ summary: 'Issue an API key (admin); the key is in this answer only, never again' })
  @ApiZodBody(issueApiKeyBody)
  @ApiJson(201, 'The key, shown once', responseSchema(issuedApiKeySchema))
  @ApiProblems(400, 409)
  @Authenticated({ admin: true })
  // The key must not linger in a cache on its way back.
  @Header('Cache-Control', 'no-store')
  issue(@Body(new ZodValidationPipe(issueApiKeyBody)) body: IssueApiKeyBody): Promise<IssuedApiKey> {
    return this.apiKeys.issue(body);
  }

  @Get()
  @ApiOperation({ summary: 'API keys, newest first, revoked and expired ones included (admin)' })
  @ApiZodQuery(listApiKeysQuery)
  @ApiJson(200, 'A page of keys (never a key or its hash)', pageOf(responseSchema(apiKeySchema)))
  @ApiProblems(400)
  @Authenticated({ admin: true })
  list(@Query(new ZodValidationPipe(listApiKeysQuery)) query: ListApiKeysQuery): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(query);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key for good (admin); again is a no-op' })
  @ApiIdParam()
  @ApiResponse({ status: 204, description: 'Revoked' })
  @ApiProblems(400, 404)
  @HttpCode(204)
  @Authenticated({ admin: true })
  async revoke(@Param(new ZodValidationPipe(idParam)) { id }: { id: number }): Promise<void> {
    await this.apiKeys.revoke(id);
  }
}

import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblems, ApiZodBody } from '../common/openapi/zod-openapi.js';
import { sessionSchema, userSchema } from '../common/openapi/schemas.js';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ZodValidationPipe } from '../common/http/index.js';
import type { UserDto } from '../users/user.dto.js';
import { CurrentUser, type AuthUser } from './auth-user.js';
import { loginBody, registerBody, type LoginBody, type RegisterBody } from './auth.schemas.js';
import { AuthService, type Session } from './auth.service.js';
import { Authenticated } from './authenticated.decorator.js';
import { RateLimit } from '../rate-limit/index.js';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('auth/register')
  @RateLimit('auth')
  @ApiOperation({ summary: 'Create a customer account and get an access token' })
  @ApiZodBody(registerBody)
  @ApiJson(201, 'The session', sessionSchema)
  @ApiProblems(400, 409)
  register(@Body(new ZodValidationPipe(registerBody)) body: RegisterBody): Promise<Session> {
    return this.auth.register(body);
  }

  @Post('auth/login')
  @RateLimit('auth')
  @ApiOperation({
    summary: 'Log in with email and password; access tokens last JWT_TTL_S (no refresh tokens: log in again)',
  })
  @ApiZodBody(loginBody)
  @ApiJson(200, 'The session', sessionSchema)
  @ApiProblems(400, 401)
  @HttpCode(200)
  login(@Body(new ZodValidationPipe(loginBody)) body: LoginBody): Promise<Session> {
    return this.auth.login(body);
  }

  @Get('me')
  @ApiOperation({ summary: 'The calling user' })
  @ApiJson(200, 'The user', userSchema)
  @Authenticated()
  me(@CurrentUser() user: AuthUser): Promise<UserDto> {
    return this.auth.me(user.id);
  }
}

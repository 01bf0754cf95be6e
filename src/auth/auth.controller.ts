import { ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiRoute } from '../common/openapi/zod-openapi.js';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { userSchema, type UserDto } from '../users/user.dto.js';
import { CurrentUser, type AuthUser } from './auth-user.js';
import { accountRequestAcceptedSchema, type AccountRequestAccepted } from './accounts.schemas.js';
import { loginBody, registerBody, type LoginBody, type RegisterBody } from './auth.schemas.js';
import { AuthService } from './auth.service.js';
import { Authenticated } from './authenticated.decorator.js';
import { sessionSchema, type Session } from './session.dto.js';
import { RateLimit } from '../rate-limit/index.js';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('auth/register')
  @RateLimit('auth')
  @ApiRoute({
    id: 'auth.register',
    summary:
      'Create a customer account and email a verification token (POST /auth/verify); the same 202 whether or not ' +
      'the address is taken (its owner is emailed instead). Log in afterwards; checkout and reviews need the address verified',
    writes: true,
  })
  @ApiJson(202, 'Accepted: check the inbox', accountRequestAcceptedSchema)
  @HttpCode(202)
  register(@Body({ schema: registerBody }) body: RegisterBody): Promise<AccountRequestAccepted> {
    return this.auth.register(body);
  }

  @Post('auth/login')
  @RateLimit('auth')
  @ApiRoute({
    id: 'auth.login',
    summary: 'Log in with email and password; access tokens last JWT_TTL_S (no refresh tokens: log in again)',
  })
  @ApiJson(200, 'The session', sessionSchema)
  @HttpCode(200)
  login(@Body({ schema: loginBody }) body: LoginBody): Promise<Session> {
    return this.auth.login(body);
  }

  @Get('me')
  @ApiRoute({ id: 'auth.me', summary: 'The calling user' })
  @ApiJson(200, 'The user', userSchema)
  @Authenticated()
  me(@CurrentUser() user: AuthUser): Promise<UserDto> {
    return this.auth.me(user.id);
  }
}

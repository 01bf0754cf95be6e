import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ZodValidationPipe } from '../common/http/index.js';
import type { UserDto } from '../users/user.dto.js';
import { CurrentUser, type AuthUser } from './auth-user.js';
import { loginBody, registerBody, type LoginBody, type RegisterBody } from './auth.schemas.js';
import { AuthService, type Session } from './auth.service.js';
import { Authenticated } from './authenticated.decorator.js';

@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('auth/register')
  register(@Body(new ZodValidationPipe(registerBody)) body: RegisterBody): Promise<Session> {
    return this.auth.register(body);
  }

  @Post('auth/login')
  @HttpCode(200)
  login(@Body(new ZodValidationPipe(loginBody)) body: LoginBody): Promise<Session> {
    return this.auth.login(body);
  }

  @Get('me')
  @Authenticated()
  me(@CurrentUser() user: AuthUser): Promise<UserDto> {
    return this.auth.me(user.id);
  }
}

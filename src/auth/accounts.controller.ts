import { Body, Controller, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { idParam } from '../common/http/query-params.js';
import { ApiEmpty, ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import { RateLimit } from '../rate-limit/index.js';
import { userSchema, type UserDto } from '../users/user.dto.js';
import {
  accountRequestAcceptedSchema,
  passwordChangeBody,
  passwordResetBody,
  passwordResetConfirmBody,
  userRoleBody,
  verifyEmailBody,
  type AccountRequestAccepted,
  type PasswordChangeBody,
  type PasswordResetBody,
  type PasswordResetConfirmBody,
  type UserRoleBody,
  type VerifyEmailBody,
} from './accounts.schemas.js';
import { AccountsService } from './accounts.service.js';
import { CurrentUser, type AuthUser } from './auth-user.js';
import { Authenticated } from './authenticated.decorator.js';
import { sessionSchema, type Session } from './session.dto.js';

/** Verification, password reset and change (the `auth` limit per client, `account` per address). */
@ApiTags('auth')
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('auth/verify')
  @RateLimit('auth')
  @ApiRoute({ id: 'auth.verify', summary: 'Verify the email address with the token emailed at sign-up', writes: true })
  @ApiEmpty(204, 'Verified')
  @ApiProblem(400, 'The token is unknown, expired or already used (`errors` names `body.token`)')
  @HttpCode(204)
  async verify(@Body({ schema: verifyEmailBody }) body: VerifyEmailBody): Promise<void> {
    await this.accounts.verify(body);
  }

  @Post('auth/password-reset')
  @RateLimit('auth')
  @ApiRoute({
    id: 'auth.passwordReset',
    summary: "Email a password-reset token to the address's owner; the same 202 whether or not it has an account",
    writes: true,
  })
  @ApiJson(202, 'Accepted: the owner, if any, gets an email', accountRequestAcceptedSchema)
  @HttpCode(202)
  requestReset(@Body({ schema: passwordResetBody }) body: PasswordResetBody): Promise<AccountRequestAccepted> {
    return this.accounts.requestReset(body.email);
  }

  @Post('auth/password-reset/confirm')
  @RateLimit('auth')
  @ApiRoute({
    id: 'auth.passwordResetConfirm',
    summary: 'Set a new password with the emailed reset token (single use); earlier access tokens stop working',
    writes: true,
  })
  @ApiEmpty(204, 'The password is set; log in with it')
  @ApiProblem(
    400,
    'The token is unknown, expired or already used (`errors` names `body.token`), or the password is too short',
  )
  @HttpCode(204)
  async confirmReset(@Body({ schema: passwordResetConfirmBody }) body: PasswordResetConfirmBody): Promise<void> {
    await this.accounts.confirmReset(body);
  }

  @Post('auth/password')
  @RateLimit('auth')
  @ApiRoute({
    id: 'auth.changePassword',
    summary: 'Change the password; every earlier access token stops working, the answer carries a new one',
    writes: true,
  })
  @ApiJson(200, 'A new session', sessionSchema)
  @ApiProblem(403, 'The current password is wrong (`errors` names `body.currentPassword`)')
  @ApiProblem(409, 'The password changed meanwhile')
  @HttpCode(200)
  @Authenticated()
  changePassword(
    @CurrentUser() user: AuthUser,
    @Body({ schema: passwordChangeBody }) body: PasswordChangeBody,
  ): Promise<Session> {
    return this.accounts.changePassword(user.id, body);
  }

  @Patch('admin/users/:id')
  @ApiTags('admin')
  @ApiRoute({
    id: 'users.setRole',
    summary: "Set a user's role (admin); a change revokes the user's earlier access tokens",
    writes: true,
  })
  @ApiJson(200, 'The user as stored', userSchema)
  @ApiProblem(404, 'No such user')
  @Authenticated({ admin: true })
  setRole(
    @Param({ schema: idParam }) { id }: { id: number },
    @Body({ schema: userRoleBody }) body: UserRoleBody,
  ): Promise<UserDto> {
    return this.accounts.setRole(id, body.role);
  }
}

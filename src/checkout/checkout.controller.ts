import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import {
  ChoosesStatus,
  PROBLEM_CONTENT_TYPE,
  ValidationProblem,
  ZodValidationPipe,
  chooseStatus,
} from '../common/http/index.js';
import { ApiJson, ApiProblems, ApiZodBody } from '../common/openapi/zod-openapi.js';
import { ReadFromPrimary } from '../database/index.js';
import { checkoutBody, idempotencyKeyHeader, type CheckoutBody } from './checkout.schemas.js';
import { CheckoutService } from './checkout.service.js';

const checkoutResult = {
  type: 'object',
  properties: {
    orderId: { type: 'integer' },
    status: { type: 'string', enum: ['paid', 'payment_pending'] },
    totalCents: { type: 'integer' },
    currency: { type: 'string' },
  },
};

@ApiTags('checkout')
@Controller('checkout')
export class CheckoutController {
  constructor(private readonly checkout: CheckoutService) {}

  @Post()
  @Authenticated()
  // Its reads are of its own writes, on the primary: no replica position to look up.
  @ReadFromPrimary()
  // 201 charged, 202 accepted, or the stored answer of an earlier request with this key.
  @ChoosesStatus()
  @ApiOperation({
    summary: 'Place an order and pay for it: 201 charged, 202 payment pending (charged later), 402 declined',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'Unique per checkout attempt; a retry with the same key replays the first answer',
  })
  @ApiZodBody(checkoutBody)
  @ApiJson(201, 'Charged', checkoutResult)
  @ApiJson(202, 'Accepted: the payment is retried in the background', checkoutResult)
  @ApiProblems(400, 402, 409, 422)
  async place(
    @CurrentUser() user: AuthUser,
    @Headers('idempotency-key') key: string | undefined,
    @Body(new ZodValidationPipe(checkoutBody)) body: CheckoutBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const parsedKey = idempotencyKeyHeader.safeParse(key);
    if (!parsedKey.success)
      throw new ValidationProblem([{ field: 'headers.idempotency-key', message: parsedKey.error.issues[0].message }]);
    const result = await this.checkout.checkout(user, parsedKey.data, body);
    chooseStatus(reply, result.status);
    if (result.status >= 400) reply.type(PROBLEM_CONTENT_TYPE);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.body;
  }
}

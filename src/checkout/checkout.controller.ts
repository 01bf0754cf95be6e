import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ChoosesStatus, PROBLEM_CONTENT_TYPE, ValidationProblem, chooseStatus } from '../common/http/index.js';
import { ApiJson, ApiProblem, ApiRoute, inputSchema } from '../common/openapi/zod-openapi.js';
import { NOT_VERIFIED } from '../users/user-access.js';
import { ReadFromPrimary } from '../database/index.js';
import {
  checkoutBody,
  checkoutResultSchema,
  idempotencyKeyHeader,
  paymentDeclinedSchema,
  type CheckoutBody,
} from './checkout.schemas.js';
import { CheckoutService } from './checkout.service.js';

@ApiTags('checkout')
@Controller('checkout')
export class CheckoutController {
  constructor(private readonly checkout: CheckoutService) {}

  @Post()
  // Orders need a proven address (403 otherwise), checked by the guard before the body is read.
  @Authenticated({ verified: true })
  // Its reads are of its own writes, on the primary: no replica position to look up.
  @ReadFromPrimary()
  // 201 charged, 202 accepted, or the stored answer of an earlier request with this key.
  @ChoosesStatus()
  @ApiRoute({
    id: 'checkout.create',
    summary: 'Place an order and pay for it: 201 charged, 202 payment pending (charged later), 402 declined',
    description:
      'Idempotent per Idempotency-Key (Stripe’s semantics): a retry with the same key and body gets the first ' +
      'answer again, with `Idempotent-Replayed: true` (and no new X-Consistency-Token).',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'Unique per checkout attempt; a retry with the same key replays the first answer',
    schema: inputSchema(idempotencyKeyHeader),
  })
  @ApiJson(201, 'Charged', checkoutResultSchema, {
    headers: { 'X-Consistency-Token': false, 'Idempotent-Replayed': false },
  })
  @ApiJson(202, 'Accepted: the payment is tried in the background', checkoutResultSchema, {
    headers: { 'X-Consistency-Token': false, 'Idempotent-Replayed': false },
  })
  @ApiProblem(402, 'The payment was declined; the order is cancelled', paymentDeclinedSchema)
  @ApiProblem(403, NOT_VERIFIED)
  @ApiProblem(
    409,
    'Not enough stock, a request with this key still in progress, or the order cancelled by its owner while it was being paid',
  )
  @ApiProblem(
    422,
    'A product that cannot be bought, mixed currencies, a total above 2,147,483,647 cents, or this key used with another body',
  )
  async place(
    @CurrentUser() user: AuthUser,
    @Headers('idempotency-key') key: string | undefined,
    @Body({ schema: checkoutBody }) body: CheckoutBody,
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

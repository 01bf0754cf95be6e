import { SetMetadata } from '@nestjs/common';
import type { FastifyReply, onSendHookHandler } from 'fastify';

/** Metadata of `@ChoosesStatus()`, read once at start-up by the edge's route policies. */
export const CHOOSES_STATUS = 'http:choosesStatus';

/**
 * The handler decides its success status per request (say 201 charged or 202 accepted) with
 * `chooseStatus`. Nest sets the route's one status after the handler returns, so the edge applies
 * the chosen one where the reply is sent. (A web `Response` would do it too, but Fastify then
 * pipes its body as a stream: several writes and a stream pipeline per request.)
 */
export const ChoosesStatus = () => SetMetadata(CHOOSES_STATUS, true);

const CHOSEN = Symbol('chosenStatus');

export function chooseStatus(reply: FastifyReply, status: number): void {
  (reply as FastifyReply & { [CHOSEN]?: number })[CHOSEN] = status;
}

/** The edge's `onSend` for routes with `@ChoosesStatus()`; error answers keep their own status. */
export const chosenStatusOnSend: onSendHookHandler = (_request, reply, payload, done) => {
  const chosen = (reply as FastifyReply & { [CHOSEN]?: number })[CHOSEN];
  if (chosen !== undefined && reply.statusCode < 400) reply.code(chosen);
  done(null, payload);
};

import { Module } from '@nestjs/common';
import { CheckoutController } from './checkout.controller.js';
import { CheckoutRepository } from './checkout.repository.js';
import { CheckoutService } from './checkout.service.js';
import { IdempotencyStore } from './idempotency.store.js';

@Module({ controllers: [CheckoutController], providers: [CheckoutService, CheckoutRepository, IdempotencyStore] })
export class CheckoutModule {}

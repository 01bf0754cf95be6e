import { Module } from '@nestjs/common';
import { CheckoutController } from './checkout.controller.js';
import { CheckoutService } from './checkout.service.js';
import { IdempotencyStore } from './idempotency.store.js';

@Module({ controllers: [CheckoutController], providers: [CheckoutService, IdempotencyStore] })
export class CheckoutModule {}

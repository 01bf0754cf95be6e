import { Module } from '@nestjs/common';
import { ProductsDataModule } from '../products/products-data.module.js';
import { CheckoutController } from './checkout.controller.js';
import { CheckoutRepository } from './checkout.repository.js';
import { CheckoutService } from './checkout.service.js';
import { IdempotencyStore } from './idempotency.store.js';

@Module({
  imports: [ProductsDataModule],
  controllers: [CheckoutController],
  providers: [CheckoutService, CheckoutRepository, IdempotencyStore],
})
export class CheckoutModule {}

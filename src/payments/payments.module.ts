import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { HttpPaymentGateway } from './http-payment-gateway.js';
import { ProductsDataModule } from '../products/products-data.module.js';
import { OrderPaymentsRepository } from './order-payments.repository.js';
import { OrderPayments } from './order-payments.service.js';
import { OrderRefundsRepository } from './order-refunds.repository.js';
import { OrderRefunds } from './order-refunds.service.js';
import { PaymentGateway } from './payment-gateway.js';

/** The payment provider (one breaker per process, injectable as `PaymentGateway`), order payments and refunds. */
@Global()
@Module({
  imports: [ProductsDataModule],
  providers: [
    OrderPayments,
    OrderPaymentsRepository,
    OrderRefunds,
    OrderRefundsRepository,
    {
      provide: PaymentGateway,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new HttpPaymentGateway({
          baseUrl: config.PAYMENT_GATEWAY_URL,
          timeoutMs: config.PAYMENT_TIMEOUT_MS,
          failureThreshold: config.PAYMENT_BREAKER_THRESHOLD,
          halfOpenAfterMs: config.PAYMENT_BREAKER_HALF_OPEN_MS,
        }),
    },
  ],
  exports: [PaymentGateway, OrderPayments, OrderRefunds],
})
export class PaymentsModule {}

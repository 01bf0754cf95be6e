import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { HttpPaymentGateway } from './http-payment-gateway.js';
import { ProductsDataModule } from '../products/products-data.module.js';
import { OrderPaymentsRepository } from './order-payments.repository.js';
import { OrderPayments } from './order-payments.service.js';
import { OrderRefundsRepository } from './order-refunds.repository.js';
import { OrderRefunds } from './order-refunds.service.js';
import { PaymentGateway } from './payment-gateway.js';
import { PaymentReconciliationRepository } from './payment-reconciliation.repository.js';
import { PaymentTokenCipher } from './payment-token-cipher.js';

/**
 * The payment provider (one breaker per process, injectable as `PaymentGateway`), order payments
 * and refunds, the payment-token cipher and the reconciliation's SQL.
 */
@Global()
@Module({
  imports: [ProductsDataModule],
  providers: [
    OrderPayments,
    OrderPaymentsRepository,
    OrderRefunds,
    OrderRefundsRepository,
    PaymentReconciliationRepository,
    {
      provide: PaymentTokenCipher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new PaymentTokenCipher(config.PAYMENT_TOKEN_KEY ?? config.JWT_SECRET),
    },
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
  exports: [PaymentGateway, OrderPayments, OrderRefunds, PaymentTokenCipher, PaymentReconciliationRepository],
})
export class PaymentsModule {}

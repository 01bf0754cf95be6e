-- AlterEnum
-- Postgres 12+ allows ADD VALUE inside the migration's transaction; the new values are only used
-- by later statements of later transactions (nothing below names them).
ALTER TYPE "OrderStatus" ADD VALUE 'delivered';
ALTER TYPE "OrderStatus" ADD VALUE 'refunded';

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "tracking_reference" TEXT,
ADD COLUMN     "shipped_at" TIMESTAMPTZ(3),
ADD COLUMN     "delivered_at" TIMESTAMPTZ(3),
ADD COLUMN     "refunded_cents" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "refund_count" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "order_refunds" (
    "order_id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "provider_refund_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "order_refunds_pkey" PRIMARY KEY ("order_id","seq")
);

-- AddForeignKey
ALTER TABLE "order_refunds" ADD CONSTRAINT "order_refunds_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below: what Prisma's schema language cannot express.
-- Never more refunded than charged, whatever path writes it.
ALTER TABLE "orders" ADD CONSTRAINT "orders_refunded_cents_check" CHECK ("refunded_cents" >= 0 AND "refunded_cents" <= "total_cents");
ALTER TABLE "orders" ADD CONSTRAINT "orders_refund_count_check" CHECK ("refund_count" >= 0);
ALTER TABLE "orders" ADD CONSTRAINT "orders_tracking_reference_check" CHECK (char_length("tracking_reference") BETWEEN 1 AND 100);
ALTER TABLE "order_refunds" ADD CONSTRAINT "order_refunds_amount_cents_check" CHECK ("amount_cents" > 0);
ALTER TABLE "order_refunds" ADD CONSTRAINT "order_refunds_seq_check" CHECK ("seq" >= 1);
ALTER TABLE "order_refunds" ADD CONSTRAINT "order_refunds_reason_check" CHECK ("reason" IN ('cancel', 'admin', 'late-charge'));
ALTER TABLE "order_refunds" ADD CONSTRAINT "order_refunds_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed'));
ALTER TABLE "outbox_events" DROP CONSTRAINT "outbox_events_topic_check";
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_topic_check" CHECK ("topic" IN ('charge', 'email', 'refund'));
ALTER TABLE "email_deliveries" DROP CONSTRAINT "email_deliveries_template_check";
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_template_check" CHECK ("template" IN ('order-confirmation', 'payment-failed', 'order-cancelled', 'order-shipped', 'order-refunded'));

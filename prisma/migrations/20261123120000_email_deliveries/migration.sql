-- CreateTable
CREATE TABLE "email_deliveries" (
    "order_id" INTEGER NOT NULL,
    "template" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "claimed_until" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_deliveries_pkey" PRIMARY KEY ("order_id","template")
);

-- AddForeignKey
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below: what Prisma's schema language cannot express.
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_template_check" CHECK ("template" IN ('order-confirmation', 'payment-failed'));
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_attempts_check" CHECK ("attempts" >= 0);

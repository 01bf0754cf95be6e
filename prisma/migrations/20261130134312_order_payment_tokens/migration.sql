-- CreateTable
CREATE TABLE "order_payment_tokens" (
    "order_id" INTEGER NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_payment_tokens_pkey" PRIMARY KEY ("order_id")
);

-- AddForeignKey
ALTER TABLE "order_payment_tokens" ADD CONSTRAINT "order_payment_tokens_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written
-- Raw payment tokens written by earlier checkouts into outbox payloads leave the outbox. Those of
-- orders still waiting for a charge move to order_payment_tokens marked 'legacy:' (the migration
-- has no key to encrypt them with): the worker seals them at boot (PaymentTokenCipher) and any
-- settlement erases them. The rest (settled orders) are erased.
INSERT INTO order_payment_tokens (order_id, ciphertext)
SELECT DISTINCT ON (o.id) o.id, 'legacy:' || (e.payload->>'paymentToken')
FROM outbox_events e JOIN orders o ON o.id = (e.payload->>'orderId')::int
WHERE e.topic = 'charge' AND e.payload ? 'paymentToken' AND o.status IN ('pending', 'payment_pending')
ORDER BY o.id, e.id DESC
ON CONFLICT (order_id) DO NOTHING;

UPDATE outbox_events SET payload = payload - 'paymentToken' WHERE payload ? 'paymentToken';

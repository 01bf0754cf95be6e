-- Hand-written: all orders in time order, for the export's keyset batches and the admin list without filters.
CREATE INDEX "orders_created_idx" ON "orders" ("created_at", "id");

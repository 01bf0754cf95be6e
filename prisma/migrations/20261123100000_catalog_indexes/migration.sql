-- Hand-written: indexes for the catalog's filter and sort combinations (Prisma cannot express partial indexes).

-- GET /products?categoryId=&sort=price_asc|price_desc
CREATE INDEX "products_active_category_price_idx" ON "products" ("category_id", "price_cents", "id") WHERE "status" = 'active';
-- GET /products?inStock=true (newest first): only what can be bought.
CREATE INDEX "products_active_in_stock_created_idx" ON "products" ("created_at" DESC, "id" DESC) WHERE "status" = 'active' AND "stock" > 0;

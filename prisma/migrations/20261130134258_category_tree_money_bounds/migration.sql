-- AlterTable
ALTER TABLE "categories" ADD COLUMN     "parent_id" INTEGER;

-- CreateIndex
CREATE INDEX "categories_parent_id_idx" ON "categories"("parent_id");

-- AddForeignKey
ALTER TABLE "categories" ADD CONSTRAINT "categories_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "categories"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below: what Prisma's schema language cannot express.

-- The category tree: never its own parent (CHECK) nor its own ancestor (trigger). Moves are serialized
-- by a transaction-scoped advisory lock, and the ancestor walk runs after it in a snapshot of its own
-- (PL/pgSQL, READ COMMITTED), so two concurrent moves (A under B, B under A) cannot together close a loop.
ALTER TABLE "categories" ADD CONSTRAINT "categories_parent_check" CHECK ("parent_id" <> "id");
CREATE FUNCTION "categories_refuse_cycle"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.parent_id IS NULL THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('categories.parent_id'));
  IF EXISTS (
    WITH RECURSIVE ancestors (id, parent_id) AS (
      SELECT id, parent_id FROM categories WHERE id = NEW.parent_id
      UNION
      SELECT c.id, c.parent_id FROM categories c JOIN ancestors a ON c.id = a.parent_id
    )
    SELECT 1 FROM ancestors WHERE id = NEW.id
  ) THEN
    RAISE EXCEPTION 'category % cannot be placed under its own descendant %', NEW.id, NEW.parent_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'categories_parent_cycle_check';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER "categories_refuse_cycle" BEFORE INSERT OR UPDATE OF "parent_id" ON "categories"
  FOR EACH ROW EXECUTE FUNCTION "categories_refuse_cycle"();

-- Money bounds, the same as the API's validation (src/common/money.ts): an order of 50 items of at most
-- 100 units at most $1M each could reach 5e11 cents, so the checkout also refuses a total above
-- 2,147,483,647 cents (the integer column), in its own statement.
ALTER TABLE "products" ADD CONSTRAINT "products_price_cents_max_check" CHECK ("price_cents" <= 100000000);
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_quantity_max_check" CHECK ("quantity" <= 100);
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_unit_price_cents_check" CHECK ("unit_price_cents" BETWEEN 0 AND 100000000);
ALTER TABLE "orders" ADD CONSTRAINT "orders_total_cents_check" CHECK ("total_cents" >= 0);

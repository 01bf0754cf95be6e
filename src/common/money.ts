/**
 * Bounds on money and quantities, one place for the API's validation and (the same numbers) the SQL
 * CHECKs of migration 20261130134258_category_tree_money_bounds: change both together.
 */

/** A product's price: $1,000,000.00 at most. */
export const MAX_PRICE_CENTS = 100_000_000;
/** Units of one product in one order. */
export const MAX_ITEM_QUANTITY = 100;
/** Products in one order. */
export const MAX_ORDER_ITEMS = 50;
/**
 * An order's total: what `orders.total_cents` (integer) holds. 50 items × 100 units × $1M would be
 * 5e11 cents, so the checkout statement refuses a larger total (a 422 naming this) instead of overflowing.
 */
export const MAX_ORDER_TOTAL_CENTS = 2_147_483_647;

/** `2,147,483,647`: how limits are spelled in messages. */
export const formatLimit = (value: number): string => value.toLocaleString('en-US');

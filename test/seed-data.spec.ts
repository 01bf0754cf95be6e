import { SEED_SCALES, seedRows } from '../scripts/db/seed-data.js';

const tiny = { categories: 5, users: 200, products: 2_000, orders: 5_000, reviews: 3_000, expectedRows: 0 };

function generate(table: keyof ReturnType<typeof seedRows>, rows = seedRows(tiny)) {
  return [...rows[table]()];
}

describe('seed data', () => {
  it('is deterministic', () => {
    const first = seedRows(tiny);
    const second = seedRows(tiny);
    for (const table of ['categories', 'users', 'products', 'orders', 'order_items', 'reviews'] as const) {
      expect(generate(table, first), table).toEqual(generate(table, second));
    }
  });

  it('makes a few products very popular', () => {
    const rows = seedRows(tiny);
    generate('products', rows); // prices and statuses feed the order items
    const orderCounts = new Map<string, number>();
    const items = generate('order_items', rows);
    for (const line of items) {
      const product = line.split('\t')[2];
      orderCounts.set(product, (orderCounts.get(product) ?? 0) + 1);
    }
    const counts = [...orderCounts.values()].sort((a, b) => b - a);
    const topOnePercent = counts.slice(0, tiny.products / 100).reduce((sum, n) => sum + n, 0);
    expect(topOnePercent / items.length).toBeGreaterThan(0.15);
    expect(items.length / tiny.orders).toBeGreaterThan(2.5);
  });

  it('never repeats a review of one product by one user, and keeps ratings within 1–5', () => {
    const pairs = new Set<string>();
    for (const line of generate('reviews')) {
      const [, product, user, rating] = line.split('\t');
      expect(pairs.has(`${user}:${product}`)).toBe(false);
      pairs.add(`${user}:${product}`);
      expect(Number(rating)).toBeGreaterThanOrEqual(1);
      expect(Number(rating)).toBeLessThanOrEqual(5);
    }
    expect(pairs.size).toBe(tiny.reviews);
  });

  it('has a bench scale of the size the benchmark needs', () => {
    expect(SEED_SCALES.bench).toMatchObject({ products: 100_000, users: 10_000, orders: 1_000_000, reviews: 500_000 });
  });
});

import type pg from 'pg';
import {
  productDetailsSql,
  productListSql,
  searchSql,
  type ProductListQuery,
} from '../src/products/products.repository.js';
import { categoriesSql } from '../src/categories/categories.repository.js';
import { orderPageSql } from '../src/orders/orders.repository.js';
import { connect } from './support/sql.js';

/** Tables that grow with the business; a sequential scan of one of them on a hot path is a bug. */
const LARGE_TABLES = ['products', 'orders', 'order_items', 'reviews', 'users'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

describe('hot queries use indexes on seeded data (EXPLAIN)', () => {
  let sql: pg.Client;
  const sample: Record<string, unknown> = {};

  beforeAll(async () => {
    sql = await connect();
    const one = async (query: string) => Object.values((await sql.query(query)).rows[0])[0];
    for (const table of LARGE_TABLES) {
      expect(Number(await one(`SELECT count(*) FROM ${table}`)), `${table} must be seeded`).toBeGreaterThan(400);
    }
    sample.productId = await one('SELECT product_id FROM reviews GROUP BY 1 ORDER BY count(*) DESC LIMIT 1');
    sample.userId = await one('SELECT user_id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1');
    sample.categoryId = await one('SELECT category_id FROM products GROUP BY 1 ORDER BY count(*) DESC LIMIT 1');
    sample.deepCursor = (
      await sql.query(
        `SELECT created_at AS "createdAt", id FROM products WHERE status = 'active' ORDER BY created_at DESC, id DESC OFFSET 3000 LIMIT 1`,
      )
    ).rows[0];
    sample.priceCursor = (
      await sql.query(
        `SELECT price_cents, id FROM products WHERE status = 'active' ORDER BY price_cents, id OFFSET 2500 LIMIT 1`,
      )
    ).rows[0];
    sample.orderIds = (await sql.query('SELECT id FROM orders WHERE user_id = $1 LIMIT 100', [sample.userId])).rows.map(
      (row) => row.id,
    );
    sample.weekStart = await one(`SELECT max(created_at) - interval '30 days' FROM orders`);
  });

  afterAll(async () => {
    await sql?.end();
  });

  const sqlOf = (query: { text: string; values: unknown[] }) => ({ text: query.text, values: query.values });
  const list = (query: Partial<ProductListQuery>) =>
    sqlOf(productListSql({ limit: 21, sort: 'newest', ...query } as ProductListQuery));

  const hotQueries: [string, () => { text: string; values: unknown[] }][] = [
    ['product detail (category, rating, latest reviews)', () => sqlOf(productDetailsSql([sample.productId as number]))],
    ['newest products, first page', () => list({ sort: 'newest' })],
    [
      'newest products, deep keyset page',
      () => {
        const { createdAt, id } = sample.deepCursor as { createdAt: Date; id: number };
        return list({ sort: 'newest', after: { value: createdAt, id } });
      },
    ],
    ['newest products in stock', () => list({ sort: 'newest', inStock: true })],
    ['newest products of a category', () => list({ sort: 'newest', categoryId: sample.categoryId as number })],
    [
      'products by price ascending, keyset',
      () => {
        const { price_cents, id } = sample.priceCursor as { price_cents: number; id: number };
        return list({ sort: 'price_asc', after: { value: price_cents, id } });
      },
    ],
    ['products by price descending', () => list({ sort: 'price_desc' })],
    ['products of a category by price', () => list({ sort: 'price_asc', categoryId: sample.categoryId as number })],
    ['products in a price range, newest', () => list({ sort: 'newest', minPrice: 1_000, maxPrice: 2_000 })],
    // Counts every active product once: an index-only scan of the partial index, never the heap.
    ['categories with counts of active products (GET /categories)', () => sqlOf(categoriesSql())],
    ['one category with its counts (GET /categories/:id)', () => sqlOf(categoriesSql(sample.categoryId as number))],
    ['search endpoint (full text, typo tier)', () => sqlOf(searchSql('steel hammmer', 21, 0))],
    ['orders page of a user (endpoint SQL)', () => sqlOf(orderPageSql({ limit: 21, userId: sample.userId as number }))],
    ['admin orders by status (endpoint SQL)', () => sqlOf(orderPageSql({ limit: 21, status: 'payment_failed' }))],
    [
      'full-text search',
      () => ({
        text: `SELECT id, ts_rank(search_vector, q) AS rank FROM products, websearch_to_tsquery('english', $1) q
             WHERE search_vector @@ q ORDER BY rank DESC LIMIT 20`,
        values: ['walnut hammer'],
      }),
    ],
    [
      'trigram search (typos)',
      () => ({
        text: `SELECT id, similarity(name, $1) AS score FROM products WHERE name % $1 ORDER BY score DESC LIMIT 20`,
        values: ['Ergonomic walnut hammmer'],
      }),
    ],
    [
      'orders of a user',
      () => ({
        text: 'SELECT id, status, total_cents, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21',
        values: [sample.userId],
      }),
    ],
    [
      'items of a page of orders',
      () => ({
        text: 'SELECT order_id, product_id, quantity, unit_price_cents FROM order_items WHERE order_id = ANY($1::int[])',
        values: [sample.orderIds],
      }),
    ],
    [
      'latest reviews of a product',
      () => ({
        text: 'SELECT id, rating, comment FROM reviews WHERE product_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5',
        values: [sample.productId],
      }),
    ],
    [
      'rating aggregate of a product',
      () => ({
        text: 'SELECT avg(rating), count(*) FROM reviews WHERE product_id = $1',
        values: [sample.productId],
      }),
    ],
    [
      'revenue over a date range',
      () => ({
        text: `SELECT sum(total_cents), count(*) FROM orders WHERE status <> 'cancelled' AND created_at >= $1 AND created_at < $1::timestamptz + interval '7 days'`,
        values: [sample.weekStart],
      }),
    ],
    [
      'admin orders by status',
      () => ({
        text: `SELECT id FROM orders WHERE status = 'payment_failed' ORDER BY created_at DESC, id DESC LIMIT 21`,
        values: [],
      }),
    ],
    ['user by email', () => ({ text: 'SELECT id FROM users WHERE email = $1', values: ['user42@example.com'] })],
  ];

  it.each(hotQueries)('%s', async (_name, build) => {
    const { text, values } = build();
    const { rows } = await sql.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
    const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
    const seqScans = nodes.filter(
      (node) => node['Node Type'] === 'Seq Scan' && LARGE_TABLES.includes(node['Relation Name'] ?? ''),
    );
    expect(
      seqScans.map((node) => node['Relation Name']),
      JSON.stringify(rows[0]['QUERY PLAN'][0].Plan),
    ).toEqual([]);
    expect(nodes.some((node) => node['Index Name'] || node['Node Type'].includes('Index'))).toBe(true);
  });
});

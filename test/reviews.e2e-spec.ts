import { nextLink } from './support/links.js';
import { Db } from '../src/database/index.js';
import { ADMIN_EMAIL, login, useTestApp } from './support/test-app.js';
import { WireCounts } from './support/wire-counts.js';

describe('reviews (e2e)', () => {
  // No background probes on the primary: the round-trip count below is the review's alone.
  const t = useTestApp({ HEALTH_PROBE_INTERVAL_MS: '60000' });

  /** The product with the most reviews, and its review ids newest first. */
  const mostReviewedProduct = async () => {
    const {
      rows: [top],
    } = await t.sql.query<{ id: number }>(
      'SELECT product_id AS id FROM reviews GROUP BY 1 ORDER BY count(*) DESC LIMIT 1',
    );
    const { rows } = await t.sql.query<{ id: number }>(
      'SELECT id FROM reviews WHERE product_id = $1 ORDER BY created_at DESC, id DESC',
      [top.id],
    );
    return { top, rows };
  };

  /** Orders that count as bought (SQL on `orders o`): paid, or gone on from paid. */
  const BOUGHT = `o.status::text IN ('paid', 'shipped', 'delivered')`;
  const NOT_BOUGHT = `NOT (${BOUGHT})`;

  /**
   * The newest active product this user has not reviewed yet, in some order of theirs matching
   * `in` and in none matching `notIn` (SQL on `orders o`; null: no order condition).
   */
  const productNotReviewedBy = async (userId: number, inOrders: string | null = BOUGHT, notInOrders?: string) => {
    const ordersOfIt = (condition: string) => `(SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
      WHERE o.user_id = $1 AND i.product_id = p.id AND ${condition})`;
    const {
      rows: [product],
    } = await t.sql.query<{ id: number }>(
      `SELECT p.id FROM products p WHERE p.status = 'active'
         AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.product_id = p.id AND r.user_id = $1)
         ${inOrders ? `AND EXISTS ${ordersOfIt(inOrders)}` : ''}
         ${notInOrders ? `AND NOT EXISTS ${ordersOfIt(notInOrders)}` : ''}
       ORDER BY p.id DESC LIMIT 1`,
      [userId],
    );
    expect(product, `user ${userId}: no product in orders where ${inOrders}, none where ${notInOrders}`).toBeDefined();
    return product;
  };

  const reviewsBy = async (userId: number, productId: number) =>
    (await t.sql.query('SELECT id FROM reviews WHERE user_id = $1 AND product_id = $2', [userId, productId])).rowCount;

  const postReview = async (productId: number, headers: Record<string, string>, payload: object = { rating: 4 }) =>
    t.app.inject({ method: 'POST', url: `/products/${productId}/reviews`, headers, payload });

  it("lists a product's reviews newest first, every one exactly once across pages, with the author", async () => {
    const { top, rows } = await mostReviewedProduct();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await t.app.inject({
        method: 'GET',
        url: `/products/${top.id}/reviews?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(response.statusCode).toBe(200);
      const page: { data: { id: number; user: { name: string } }[]; nextCursor: string | null } = response.json();
      expect(page.data.every((review) => review.user.name)).toBe(true);
      seen.push(...page.data.map((review) => review.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(rows.map((row) => row.id));
    expect(seen.length).toBeGreaterThan(7);
  });

  it('404 for the reviews of a missing product', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/products/2000000000/reviews' })).statusCode).toBe(404);
  });

  it('takes one review per user and product, updates the rating at once, and refuses a second (409)', async () => {
    const product = await productNotReviewedBy(77);
    const headers = await login(t.app, 'user77@example.com');
    const before = (await t.app.inject({ method: 'GET', url: `/products/${product.id}` })).json();

    const created = await t.app.inject({
      method: 'POST',
      url: `/products/${product.id}/reviews`,
      headers,
      payload: { rating: 5, comment: '  Sturdy!  ' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ productId: product.id, rating: 5, comment: 'Sturdy!', user: { id: 77 } });
    expect(created.headers['x-consistency-token']).toBeTruthy();

    // The cached product (rating, latest reviews) was dropped by the write.
    const after = (await t.app.inject({ method: 'GET', url: `/products/${product.id}` })).json();
    expect(after.rating.count).toBe(before.rating.count + 1);
    expect(after.latestReviews[0]).toMatchObject({ id: created.json().id, rating: 5 });

    const again = await t.app.inject({
      method: 'POST',
      url: `/products/${product.id}/reviews`,
      headers,
      payload: { rating: 1 },
    });
    expect(again.statusCode).toBe(409);
  });

  it('checks the buyer and the product in the insert itself: 2 primary round trips per review, a refusal reads why instead of the position', async () => {
    const wire = new WireCounts(t.app.get(Db));
    const headers = await login(t.app, 'user81@example.com');
    // A first review puts its author in the users cache: the measured one's author is a cache hit,
    // not a read that may fall back to the primary while the replicas catch up.
    expect((await postReview((await productNotReviewedBy(81)).id, headers)).statusCode).toBe(201);
    const bought = await productNotReviewedBy(81);
    const created = await wire.measure(() => postReview(bought.id, headers));
    expect(created.result.statusCode, created.result.body).toBe(201);
    const refused = await wire.measure(() => postReview(bought.id, headers));
    expect(refused.result.statusCode).toBe(409);
    // The insert (which checks the product and the orders), then the position after it (shared by
    // the cache invalidation and the consistency token); a refusal: the insert, then why.
    expect(created.roundTrips.primary).toBe(2);
    expect(created.result.headers['x-consistency-token']).toBeTruthy();
    expect(refused.roundTrips.primary).toBe(2);
  });

  it('403 for a product the user never bought, or has only in orders not paid (pending, failed, cancelled); nothing written', async () => {
    const headers = await login(t.app, 'user78@example.com');
    const never = await productNotReviewedBy(78, null, 'true');
    const unpaid = await productNotReviewedBy(78, NOT_BOUGHT, BOUGHT);
    for (const product of [never, unpaid]) {
      const refused = await postReview(product.id, headers);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({
        type: 'https://store-api.dev/problems/not-a-buyer',
        status: 403,
        detail: expect.stringContaining('Only buyers of this product can review it'),
      });
      expect(await reviewsBy(78, product.id)).toBe(0);
    }
  });

  it('a shipped order counts as bought', async () => {
    const product = await productNotReviewedBy(78, `o.status::text = 'shipped'`, `o.status::text <> 'shipped'`);
    const created = await postReview(product.id, await login(t.app, 'user78@example.com'), { rating: 3 });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ productId: product.id, rating: 3, user: { id: 78 } });
  });

  it('409 for an archived product, even from its buyer; its reviews stay readable; 404 for a missing product', async () => {
    const product = await productNotReviewedBy(80);
    const headers = await login(t.app, 'user80@example.com');
    const admin = await login(t.app, ADMIN_EMAIL);
    expect((await t.app.inject({ method: 'DELETE', url: `/products/${product.id}`, headers: admin })).statusCode).toBe(
      204,
    );
    try {
      const refused = await postReview(product.id, headers);
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json()).toMatchObject({
        type: 'https://store-api.dev/problems/product-archived',
        detail: `Product ${product.id} is archived: it takes no new reviews.`,
      });
      expect(await reviewsBy(80, product.id)).toBe(0);
      expect((await t.app.inject({ method: 'GET', url: `/products/${product.id}/reviews` })).statusCode).toBe(200);
    } finally {
      const restored = await t.app.inject({
        method: 'PATCH',
        url: `/products/${product.id}`,
        headers: admin,
        payload: { status: 'active' },
      });
      expect(restored.statusCode, restored.body).toBe(200);
    }
    // Active again: the buyer may review it.
    expect((await postReview(product.id, headers)).statusCode).toBe(201);
    expect((await postReview(2_000_000_000, headers)).statusCode).toBe(404);
  });

  it.each([
    ['rating 0', { rating: 0 }],
    ['rating 6', { rating: 6 }],
    ['rating 4.5', { rating: 4.5 }],
    ['rating as text', { rating: 'five' }],
    ['comment too long', { rating: 3, comment: 'x'.repeat(2_001) }],
    ['unknown field', { rating: 3, userId: 1 }],
  ])('400 for %s, nothing written', async (_label, payload) => {
    const headers = await login(t.app, 'user78@example.com');
    const {
      rows: [{ n: before }],
    } = await t.sql.query('SELECT count(*)::int AS n FROM reviews');
    const response = await t.app.inject({ method: 'POST', url: '/products/9/reviews', headers, payload });
    expect(response.statusCode).toBe(400);
    const {
      rows: [{ n: after }],
    } = await t.sql.query('SELECT count(*)::int AS n FROM reviews');
    expect(after).toBe(before);
  });

  it('401 for an anonymous review', async () => {
    expect(
      (await t.app.inject({ method: 'POST', url: '/products/9/reviews', payload: { rating: 5 } })).statusCode,
    ).toBe(401);
  });

  describe('lean payloads: nothing empty, sparse fieldsets, Link: rel="next"', () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url });

    it('omits an empty comment', async () => {
      const product = await productNotReviewedBy(79);
      const headers = await login(t.app, 'user79@example.com');
      const created = await t.app.inject({
        method: 'POST',
        url: `/products/${product.id}/reviews`,
        headers,
        payload: { rating: 4 },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).not.toHaveProperty('comment');
      const listed = (await get(`/products/${product.id}/reviews`)).json();
      expect(listed.data[0]).toMatchObject({ id: created.json().id, rating: 4 });
      expect(listed.data[0]).not.toHaveProperty('comment');
      expect((await get(`/products/${product.id}`)).json().latestReviews[0]).not.toHaveProperty('comment');
    });

    it('follows Link to the last page; each review once, only the fields asked for', async () => {
      const { top, rows } = await mostReviewedProduct();
      const seen: number[] = [];
      let url: string | undefined = `/products/${top.id}/reviews?limit=3&fields=rating,id`;
      let pages = 0;
      while (url) {
        const response = await get(url);
        expect(response.statusCode, response.body).toBe(200);
        const { data } = response.json();
        expect(data.every((review: object) => Object.keys(review).join() === 'id,rating')).toBe(true);
        seen.push(...data.map((review: { id: number }) => review.id));
        url = nextLink(response);
        expect(url === undefined).toBe(response.json().nextCursor === undefined);
        pages++;
      }
      expect(seen).toEqual(rows.map((row) => row.id));
      expect(pages).toBeGreaterThan(1);
    });

    it('400 for an unknown field, naming it', async () => {
      const response = await get('/products/9/reviews?fields=id,email');
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0]).toMatchObject({
        field: 'query.fields',
        message: expect.stringContaining('unknown field(s): email'),
      });
    });
  });
});

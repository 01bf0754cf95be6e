/** JSON Schemas of the response bodies, for the OpenAPI document. */
const integer = { type: 'integer' };
const string = { type: 'string' };
const dateTime = { type: 'string', format: 'date-time' };
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

export const productSchema = {
  type: 'object',
  properties: {
    id: integer,
    sku: string,
    name: string,
    description: string,
    priceCents: integer,
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    stock: integer,
    status: { type: 'string', enum: ['active', 'archived'] },
    categoryId: integer,
    createdAt: dateTime,
    updatedAt: dateTime,
  },
};

const reviewSummary = {
  type: 'object',
  properties: { id: integer, rating: integer, comment: string, createdAt: dateTime },
};

export const productDetailSchema = {
  allOf: [
    productSchema,
    {
      type: 'object',
      properties: {
        category: { type: 'object', properties: { id: integer, name: string, slug: string } },
        rating: { type: 'object', properties: { average: nullable({ type: 'number' }), count: integer } },
        latestReviews: { type: 'array', items: reviewSummary, maxItems: 5 },
      },
    },
  ],
};

export const pageOf = (item: object) => ({
  type: 'object',
  properties: {
    data: { type: 'array', items: item },
    nextCursor: nullable({ type: 'string', description: 'Pass as `cursor` for the next page.' }),
  },
});

export const searchResultSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        allOf: [productSchema, { type: 'object', properties: { score: { type: 'number' }, highlight: string } }],
      },
    },
    page: integer,
    nextPage: nullable(integer),
  },
};

export const userSchema = {
  type: 'object',
  properties: {
    id: integer,
    email: { type: 'string', format: 'email' },
    name: string,
    role: { type: 'string', enum: ['customer', 'admin'] },
    createdAt: dateTime,
  },
};

export const sessionSchema = {
  type: 'object',
  properties: {
    accessToken: string,
    tokenType: { type: 'string', enum: ['Bearer'] },
    expiresIn: { ...integer, description: 'seconds' },
    user: userSchema,
  },
};

const productSummary = {
  type: 'object',
  properties: { id: integer, sku: string, name: string, priceCents: integer, currency: string },
};
const userSummary = { type: 'object', properties: { id: integer, name: string } };

export const orderSchema = {
  type: 'object',
  properties: {
    id: integer,
    userId: integer,
    status: { type: 'string', enum: ['pending', 'payment_pending', 'paid', 'payment_failed', 'cancelled', 'shipped'] },
    totalCents: integer,
    currency: string,
    createdAt: dateTime,
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          productId: integer,
          quantity: integer,
          unitPriceCents: integer,
          product: nullable(productSummary),
        },
      },
    },
  },
};

export const adminOrderSchema = {
  allOf: [orderSchema, { type: 'object', properties: { user: nullable(userSummary) } }],
};

export const reviewSchema = {
  type: 'object',
  properties: {
    id: integer,
    productId: integer,
    rating: { type: 'integer', minimum: 1, maximum: 5 },
    comment: string,
    createdAt: dateTime,
    user: nullable(userSummary),
  },
};

export const dashboardSchema = {
  type: 'object',
  properties: {
    from: dateTime,
    to: dateTime,
    revenueCents: integer,
    orderCount: integer,
    averageOrderCents: integer,
    topProducts: {
      type: 'array',
      items: {
        type: 'object',
        properties: { productId: integer, name: string, units: integer, revenueCents: integer },
      },
    },
    daily: {
      type: 'array',
      items: {
        type: 'object',
        properties: { day: { type: 'string', format: 'date' }, orderCount: integer, revenueCents: integer },
      },
    },
  },
};

/**
 * Deterministic seed rows as lines of COPY text. Every random choice comes from a PRNG seeded by
 * the row's id, so each table can be generated on its own and two runs give identical data.
 */

export interface SeedScale {
  categories: number;
  users: number;
  products: number;
  orders: number;
  reviews: number;
  expectedRows: number;
}

function scaleOf(counts: Omit<SeedScale, 'expectedRows'>): SeedScale {
  const { categories, users, products, orders, reviews } = counts;
  return { ...counts, expectedRows: categories + users + products + orders * (1 + AVERAGE_ITEMS) + reviews };
}

const AVERAGE_ITEMS = 3;

export const SEED_SCALES = {
  small: scaleOf({ categories: 12, users: 1_000, products: 20_000, orders: 20_000, reviews: 10_000 }),
  bench: scaleOf({ categories: 40, users: 10_000, products: 100_000, orders: 1_000_000, reviews: 500_000 }),
} as const;

/** Fixed clock: data must not depend on the day it was made. */
const END = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;

/** mulberry32: a tiny seeded PRNG, fast, good enough for test data and benchmark mixes. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const rowRng = (table: number, id: number) => mulberry32(Math.imul(id, 2_654_435_761) ^ Math.imul(table, 40_503));
const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)];
const iso = (ms: number) => new Date(ms).toISOString();

const CATEGORY_WORDS = [
  'Tools',
  'Garden',
  'Kitchen',
  'Lighting',
  'Outdoor',
  'Office',
  'Audio',
  'Bath',
  'Storage',
  'Sports',
  'Toys',
  'Pets',
  'Travel',
  'Books',
  'Crafts',
  'Cleaning',
  'Decor',
  'Bedding',
  'Auto',
  'Health',
];
const ADJECTIVES = [
  'Classic',
  'Compact',
  'Heavy-duty',
  'Ergonomic',
  'Cordless',
  'Vintage',
  'Foldable',
  'Premium',
  'Lightweight',
  'Rugged',
  'Smart',
  'Eco',
  'Pro',
  'Mini',
  'Deluxe',
  'Quiet',
];
const MATERIALS = [
  'steel',
  'oak',
  'bamboo',
  'aluminium',
  'ceramic',
  'cotton',
  'leather',
  'glass',
  'carbon',
  'walnut',
  'copper',
  'wool',
];
const NOUNS = [
  'hammer',
  'wrench',
  'screwdriver',
  'drill',
  'saw',
  'lamp',
  'chair',
  'table',
  'kettle',
  'backpack',
  'blender',
  'speaker',
  'headphones',
  'shelf',
  'rake',
  'shovel',
  'mug',
  'pan',
  'knife',
  'pillow',
  'blanket',
  'tent',
  'bottle',
  'clock',
  'mirror',
  'notebook',
  'pen',
  'ladder',
  'toolbox',
  'flashlight',
];
const PHRASES = [
  'Built to last for years of daily use.',
  'Designed with comfort in mind.',
  'A favourite of professionals and hobbyists alike.',
  'Easy to clean and simple to store.',
  'Backed by a two-year warranty.',
  'Tested for durability in harsh conditions.',
  'Ships in recyclable packaging.',
  'Pairs well with the rest of the collection.',
];
const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Frances',
  'Edsger',
  'Radia',
  'Tim',
  'Hedy',
  'John',
  'Karen',
  'Niklaus',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Allen',
  'Dijkstra',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Backus',
  'Jones',
  'Wirth',
];
const COMMENTS = [
  'Does exactly what it says.',
  'Great value for the price.',
  'Sturdy and well made.',
  'Arrived quickly, works well.',
  'Not what I expected.',
  'Would buy again.',
  'Decent, but a bit overpriced.',
  'Exceeded my expectations!',
];
const ORDER_STATUSES: [string, number][] = [
  ['paid', 0.7],
  ['shipped', 0.85],
  ['cancelled', 0.9],
  ['pending', 0.93],
  ['payment_pending', 0.96],
  ['payment_failed', 1],
];

/** Every seeded user's password (development data only). */
export const SEED_PASSWORD = 'password';

/** `passwordHash`: one argon2id hash of SEED_PASSWORD, computed once per seed run. */
export function seedRows(scale: SeedScale, passwordHash = '!no-login') {
  const prices = new Int32Array(scale.products + 1);
  const active = new Uint8Array(scale.products + 1);
  // Popularity: rank r is a shuffled product id, and ranks are drawn with a power law, so a few
  // products (not simply the oldest or newest) take most orders and reviews.
  const byRank = shuffledIds(scale.products);
  const popularProduct = (random: () => number) => byRank[Math.floor(scale.products * random() ** 3)];

  return {
    *categories() {
      for (let id = 1; id <= scale.categories; id++) {
        const word = CATEGORY_WORDS[(id - 1) % CATEGORY_WORDS.length];
        const round = Math.floor((id - 1) / CATEGORY_WORDS.length);
        const name = round ? `${word} ${round + 1}` : word;
        yield `${id}\t${name}\t${name.toLowerCase().replace(/\s+/g, '-')}\t${iso(END - 800 * DAY)}\n`;
      }
    },
    *users() {
      for (let id = 1; id <= scale.users; id++) {
        const random = rowRng(1, id);
        const created = iso(END - Math.floor(random() * 700 * DAY));
        const role = id === 1 ? 'admin' : 'customer';
        const email = id === 1 ? 'admin@example.com' : `user${id}@example.com`;
        yield `${id}\t${email}\t${pick(FIRST, random)} ${pick(LAST, random)}\t${passwordHash}\t${role}\t${created}\t${created}\t${created}\n`;
      }
    },
    *products() {
      const span = 730 * DAY;
      for (let id = 1; id <= scale.products; id++) {
        const random = rowRng(2, id);
        const noun = pick(NOUNS, random);
        const name = `${pick(ADJECTIVES, random)} ${pick(MATERIALS, random)} ${noun}`;
        const description = `${name}. ${pick(PHRASES, random)} ${pick(PHRASES, random)}`;
        const price = Math.round(Math.exp(5.3 + random() * 5.3)); // log-uniform, $2 to $400
        prices[id] = price;
        const status = random() < 0.97 ? 'active' : 'archived';
        active[id] = status === 'active' ? 1 : 0;
        const stock = random() < 0.05 ? 0 : Math.floor(random() * 500);
        const category = 1 + Math.floor(scale.categories * random() ** 1.5);
        // Increasing with id, with distinct milliseconds: a realistic insert order.
        const created = iso(END - span + Math.floor((id / scale.products) * span) - Math.floor(random() * 1000));
        yield `${id}\tSKU-${String(id).padStart(7, '0')}\t${name}\t${description}\t${price}\tUSD\t${stock}\t${status}\t${category}\t${created}\t${created}\n`;
      }
    },
    *orders() {
      const span = 365 * DAY;
      for (let id = 1; id <= scale.orders; id++) {
        const random = rowRng(3, id);
        const user = 2 + Math.floor((scale.users - 1) * random() ** 2);
        const roll = random();
        const status = ORDER_STATUSES.find(([, upTo]) => roll < upTo)![0];
        const total = orderItems(id).reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
        const created = iso(END - span + Math.floor((id / scale.orders) * span));
        yield `${id}\t${user}\t${status}\t${total}\tUSD\t${created}\t${created}\n`;
      }
    },
    *order_items() {
      let itemId = 0;
      for (let order = 1; order <= scale.orders; order++) {
        for (const item of orderItems(order)) {
          yield `${++itemId}\t${order}\t${item.product}\t${item.quantity}\t${item.unitPrice}\n`;
        }
      }
    },
    *reviews() {
      const seen = new Set<number>();
      const random = mulberry32(4);
      const span = 700 * DAY;
      for (let id = 1; id <= scale.reviews;) {
        const product = popularProduct(random);
        const user = 2 + Math.floor(random() * (scale.users - 1));
        const key = user * (scale.products + 1) + product;
        if (seen.has(key)) continue;
        seen.add(key);
        const rating = Math.min(5, 1 + Math.floor(random() ** 0.6 * 5));
        const created = iso(END - span + Math.floor((id / scale.reviews) * span));
        yield `${id}\t${product}\t${user}\t${rating}\t${pick(COMMENTS, random)}\t${created}\n`;
        id++;
      }
    },
  };

  /** 1–5 items (3 on average) of distinct, active products; same answer every call. */
  function orderItems(order: number) {
    const random = rowRng(5, order);
    const count = 1 + Math.floor(random() * (2 * AVERAGE_ITEMS - 1));
    const items: { product: number; quantity: number; unitPrice: number }[] = [];
    for (let attempt = 0; items.length < count && attempt < count * 4; attempt++) {
      const product = popularProduct(random);
      if (!active[product] || items.some((item) => item.product === product)) continue;
      items.push({ product, quantity: 1 + Math.floor(random() * 3), unitPrice: prices[product] });
    }
    return items;
  }
}

function shuffledIds(count: number): Int32Array {
  const ids = Int32Array.from({ length: count }, (_, index) => index + 1);
  const random = mulberry32(6);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids;
}

/**
 * Baseline (a): the ceiling — bare Fastify answering GET /products/:id with a product's JSON from
 * a Map: no framework, cache, database or hooks. Run as its own process:
 *   PORT=… PRODUCTS_FILE=… MAX_ID=… node --import tsx bench/peers/bare-fastify.ts
 * PRODUCTS_FILE holds a sample of products as the API serves them (fetched by the benchmark); ids
 * 1..MAX_ID outside the sample get a sample product's JSON under their own id (same shape and size).
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const sample = JSON.parse(readFileSync(process.env.PRODUCTS_FILE!, 'utf8')) as { id: number }[];
const products = new Map<number, object>(sample.map((product) => [product.id, product]));
for (let id = 1; id <= Number(process.env.MAX_ID); id++)
  if (!products.has(id)) products.set(id, { ...sample[id % sample.length], id });

const app = Fastify();
app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  const product = products.get(Number(request.params.id));
  if (product === undefined) return reply.code(404).send({ status: 404 });
  return product;
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('ready');

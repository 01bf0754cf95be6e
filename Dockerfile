# syntax=docker/dockerfile:1
# One image for the API and the worker (`node dist/main.js` / `node dist/worker.js`), on the Node of
# .nvmrc. Stages: `build` (every dependency, the sources, `npm run build`; docker-compose also runs
# the seed and the fake payment provider from it), `deps` (production dependencies only) and the
# runtime image, the default target: dist/, prisma/migrations and production node_modules, no tsx,
# no sources, no dev stand-ins. Migrations run from built JS: `node dist/tools/scripts/db/migrate.js`.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lockfile first, so that the install layer is rebuilt only when dependencies change.
# (postinstall generates the Prisma client, which needs the schema.)
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts/prisma-generate.mjs ./scripts/
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only one generates the Prisma client, which dist/ already holds.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json says `"type": "module"`, which dist/ needs.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY prisma/migrations ./prisma/migrations
USER node
EXPOSE 3000
# Liveness on the app port. The worker (no app port) gets its own check in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 (no shell in between), so SIGTERM reaches it and the API drains before it exits.
# The tracing preload hooks modules before the app loads them; without OTEL_* settings it does nothing.
CMD ["node", "--import", "./dist/tracing/register.js", "dist/main.js"]

#!/usr/bin/env bash
# Runs before `npm test`: services up (replicas included), the test database migrated and
# freshly seeded at small scale (every run starts from the same data), and the app built.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh up
export NODE_ENV=test
npx tsx scripts/db/migrate.ts
npx tsx scripts/db/seed.ts --scale small
# The cache Redis outlives test runs: drop what earlier runs left under the test prefix.
redis-cli -p "${CACHE_REDIS_PORT:-6380}" --scan --pattern 'store-api:test:*' | xargs -r -n 500 redis-cli -p "${CACHE_REDIS_PORT:-6380}" unlink >/dev/null
# So does the queue Redis: drop the test queues (their keys share the `{store-api-test}` prefix).
redis-cli -p "${QUEUE_REDIS_PORT:-6379}" --scan --pattern '{store-api-test}:*' | xargs -r -n 500 redis-cli -p "${QUEUE_REDIS_PORT:-6379}" unlink >/dev/null
# The worker tests run the built worker (`dist/worker.js`) as a real process.
npx nest build

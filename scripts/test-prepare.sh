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
# The same on each master of the Redis Cluster (both roles there). A multi-key UNLINK must stay
# in one slot: the queue keys share their hash tag's; cache keys go one UNLINK each.
for port in ${REDIS_CLUSTER_PORTS:-7001 7002 7003}; do
  redis-cli -p "$port" --scan --pattern '{store-api-test}:*' | xargs -r -n 500 redis-cli -p "$port" unlink >/dev/null
  redis-cli -p "$port" --scan --pattern 'store-api:test:*' | sed 's/^/UNLINK /' | redis-cli -p "$port" >/dev/null
done
# The worker tests run the built worker (`dist/worker.js`) as a real process.
npx nest build
